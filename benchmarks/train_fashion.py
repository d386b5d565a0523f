"""The training benchmark: one recipe in trainlab, PyTorch (eager) and JAX (jit), CPU, same data.

Fashion-MNIST, MLP 784-512-256-10 with BatchNorm, ReLU and Dropout 0.2 after each hidden layer,
AdamW (lr 1e-3, weight decay 1e-4) under a 1cycle schedule (max lr 3e-3), batch 128, 20 epochs.
Prints test accuracy, wall time and CPU time (of all the process's threads) for each, and the ratios
(goals: trainlab's accuracy >= 0.909 and its wall time <= 0.7x PyTorch's). A CPU time above the wall
time means that a framework used more than one core: without ``--cores``, ``--threads 1`` does not
stop JAX's compute thread from running beside the Python thread. The frameworks alternate epoch by
epoch (a callback runs one epoch of each peer after each trainlab epoch, timed apart and
subtracted), so that all see the same load on a shared machine. Peers that are not installed
(``pip install -e .[bench]``) are skipped.

``--memory`` instead trains each framework alone in its own subprocess (``--alone NAME``) for
``--epochs`` epochs and prints its peak resident memory (the process's maximum RSS, data included);
the peak is reached in the first epoch, so ``--memory --epochs 1`` is enough.

    python benchmarks/train_fashion.py [--epochs 20] [--seed 0] [--dataset fashion-mnist]
        [--peers pytorch,jax] [--threads 1] [--cores 1]
    python benchmarks/train_fashion.py --memory --epochs 1

``--cores N`` pins the process to N cores (see benchmarks/step_time.py): with
``--threads 1 --cores 1`` every framework runs on one core, JAX's computation thread included.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from fashion_peers import (
    BATCH,
    DROPOUT,
    HIDDEN,
    LR,
    MAX_LR,
    WEIGHT_DECAY,
    JaxRecipe,
    TorchRecipe,
    steps_per_epoch,
)
from peers import limit_threads, load_average, pin_cores

import trainlab as tl
from trainlab.data import load_dataset

PEERS = {"pytorch": TorchRecipe, "jax": JaxRecipe}


class Alternate(tl.Callback):
    """After each trainlab epoch, one epoch of each peer: all see the same machine load."""

    def __init__(self, peers) -> None:
        self.peers = peers

    def on_epoch_end(self, epoch, logs):
        for peer in self.peers:
            peer.epoch()


def run(data, epochs: int, seed: int, peers) -> tuple[float, float, float]:
    """Train trainlab's model (alternating with ``peers``); return its test accuracy, its own wall
    seconds and its own CPU seconds (all threads)."""
    layers = []
    for units in HIDDEN:
        layers += [
            tl.Dense(units, init="he_normal"),
            tl.BatchNorm(),
            tl.ReLU(),
            tl.Dropout(DROPOUT),
        ]
    model = tl.Sequential([*layers, tl.Dense(10, init="glorot_uniform")], input_dim=784, seed=seed)
    model.compile(tl.AdamW(lr=LR, weight_decay=WEIGHT_DECAY))
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=BATCH,
        evaluate_train=False,
        verbose=0,
        callbacks=[
            tl.OneCycle(max_lr=MAX_LR, total_steps=epochs * steps_per_epoch(data)),
            Alternate(peers),
        ],
    )
    seconds = time.perf_counter() - start - sum(peer.seconds for peer in peers)
    cpu_seconds = time.process_time() - cpu_start - sum(peer.cpu_seconds for peer in peers)
    return model.accuracy(data.x_test, data.y_test), seconds, cpu_seconds


def make_peers(names: list[str], data, epochs: int, seed: int) -> dict[str, object]:
    peers = {}
    for name in names:
        try:
            peers[name] = PEERS[name](data, epochs, seed)
        except ModuleNotFoundError as error:
            print(f"{name} is not installed ({error.name}): skipping it (pip install -e .[bench])")
    return peers


def race(args, pinned: str) -> None:
    data = load_dataset(args.dataset)
    print(
        f"{data.name}: {len(data.x_train)} training and {len(data.x_test)} test images ({data.source}), "
        f"{args.epochs} epochs, seed {args.seed}; {pinned}; {load_average()} at the start"
    )
    peers = make_peers(
        [name for name in args.peers.split(",") if name], data, args.epochs, args.seed
    )
    accuracy, seconds, cpu_seconds = run(data, args.epochs, args.seed, list(peers.values()))
    print(
        f"  {'trainlab':<10} test accuracy {accuracy:.4f}   wall time {seconds:7.1f} s"
        f"   cpu time {cpu_seconds:7.1f} s"
    )
    for name, peer in peers.items():
        print(
            f"  {name:<10} test accuracy {peer.test_accuracy():.4f}   wall time {peer.seconds:7.1f} s"
            f"   cpu time {peer.cpu_seconds:7.1f} s"
        )
    for name, peer in peers.items():
        goal = "  (goal <= 0.70; accuracy goal >= 0.909)" if name == "pytorch" else ""
        print(
            f"  wall time trainlab / {name}: {seconds / peer.seconds:.2f}{goal}"
            f"   cpu time: {cpu_seconds / peer.cpu_seconds:.2f}"
        )
    print(f"  {load_average()} at the end")


def alone(args) -> None:
    """Train one framework alone and print its peak resident memory as JSON (the --memory child)."""
    data = load_dataset(args.dataset)
    if args.alone == "trainlab":
        run(data, args.epochs, args.seed, [])
    else:
        peer = PEERS[args.alone](data, args.epochs, args.seed)
        for _ in range(args.epochs):
            peer.epoch()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"framework": args.alone, "peak_rss_mib": peak_kib / 1024}))


def memory(args) -> None:
    """Each framework in its own subprocess, so that the peaks are separate."""
    print(
        f"peak resident memory, {args.epochs} epoch(s) of the recipe, each framework in its own process:"
    )
    peaks = {}
    for name in ["trainlab", *[name for name in args.peers.split(",") if name]]:
        command = [
            sys.executable,
            __file__,
            "--alone",
            name,
            "--epochs",
            str(args.epochs),
            "--seed",
            str(args.seed),
            "--dataset",
            args.dataset,
            *(["--threads", str(args.threads)] if args.threads else []),
            *(["--cores", str(args.cores)] if args.cores else []),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            print(
                f"  {name:<10} failed or not installed: {result.stderr.strip().splitlines()[-1:]}"
            )
            continue
        peaks[name] = json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_mib"]
        print(f"  {name:<10} {peaks[name]:7.0f} MiB")
    for name in peaks.keys() - {"trainlab"}:
        goal = "  (goal <= 1.00)" if name == "pytorch" else ""
        print(f"  peak memory trainlab / {name}: {peaks['trainlab'] / peaks[name]:.2f}{goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument(
        "--peers", default="pytorch,jax", help="frameworks to compare with (comma-separated)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads for every framework (default theirs)"
    )
    parser.add_argument(
        "--cores", type=int, default=None, help="pin the process to this many cores (Linux)"
    )
    parser.add_argument(
        "--memory", action="store_true", help="peak memory of each, in separate processes"
    )
    parser.add_argument("--alone", choices=["trainlab", *PEERS], help=argparse.SUPPRESS)
    args = parser.parse_args()
    pinned = pin_cores(args.cores)
    limit = limit_threads(args.threads)  # noqa: F841 (kept alive: the limit holds while it lives)
    if args.alone:
        alone(args)
    elif args.memory:
        memory(args)
    else:
        race(args, pinned)


if __name__ == "__main__":
    main()
