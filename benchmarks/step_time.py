"""Time of one training step (forward, backward, SGD update) of the textbook's 784-100x4-10 ReLU net.

Prints ms/step for trainlab and, when torch is importable, for the same net and SGD step in PyTorch on
the CPU, timed in the same process in interleaved blocks (the machine is shared and noisy), and the ratio
trainlab / PyTorch (goal: <= 0.8).

    python benchmarks/step_time.py [--batch 128] [--steps 300] [--repeats 7] [--dtype float32]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import numpy as np

import trainlab as tl

SIZES = [784, 100, 100, 100, 100, 10]


def trainlab_step(batch: int, dtype: str, seed: int = 0):
    model = tl.Sequential(
        [layer for units in SIZES[1:-1] for layer in (tl.Dense(units, init="he_normal"), tl.ReLU())]
        + [tl.Dense(SIZES[-1], init="he_normal")],
        input_dim=SIZES[0], seed=seed, dtype=dtype,
    )
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, SIZES[0])).astype(dtype)
    t = rng.integers(0, SIZES[-1], batch)
    optimizer = tl.SGD(lr=0.01)
    params = model.params

    def step():
        optimizer.update(params, model.gradient(x, t))

    return step


def torch_step(batch: int, dtype: str, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    layers = []
    for fan_in, fan_out in itertools.pairwise(SIZES[:-1]):  # hidden layers; the output layer follows
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(SIZES[-2], SIZES[-1])).to(getattr(torch, dtype))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_function = torch.nn.CrossEntropyLoss()
    x = torch.randn(batch, SIZES[0], dtype=getattr(torch, dtype))
    t = torch.randint(0, SIZES[-1], (batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss_function(net(x), t).backward()
        optimizer.step()

    return step


def ms_per_step(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks per framework (median taken)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()

    contenders = {"trainlab": trainlab_step(args.batch, args.dtype)}
    try:
        import torch

        contenders[f"pytorch {torch.__version__} ({torch.get_num_threads()} threads)"] = torch_step(
            args.batch, args.dtype
        )
    except ImportError:
        print("torch is not importable: timing trainlab alone")
    for step in contenders.values():  # warm up caches, allocators and BLAS threads
        ms_per_step(step, args.steps // 3 + 1)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, step in contenders.items():
            times[name].append(ms_per_step(step, args.steps))

    print(f"net 784-100x4-10 ReLU, batch {args.batch}, {args.dtype}, SGD; "
          f"median of {args.repeats} blocks of {args.steps} steps")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"  {name:<34} {median:7.3f} ms/step  (min {min(times[name]):.3f})")
    if len(medians) == 2:
        ours, theirs = medians.values()
        print(f"  ratio trainlab / pytorch: {ours / theirs:.2f}  (goal <= 0.80)")


if __name__ == "__main__":
    main()
