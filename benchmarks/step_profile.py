"""Where one training step's time goes: matrix multiplies, elementwise work, the update, Python overhead.

For the book's net (784-100x4-10 ReLU, SGD) and the Fashion-MNIST recipe's net (784-512-256-10,
BatchNorm, ReLU, Dropout 0.2, AdamW), batch 128, float32, at 1 and 2 BLAS threads (threadpoolctl),
all timed in the same process in interleaved rounds (medians):

- sgemm peak: GFLOP/s of a 1024x1024x1024 float32 matrix product, measured in the same run;
- step: ``optimizer.update(params, model.gradient(x, t))``;
- matmul: the step's matrix products alone (same shapes and layouts, into preallocated outputs), and
  the matrix-multiply limit, the step's FLOPs at the sgemm peak;
- update: ``optimizer.update`` alone (elementwise over the parameters);
- overhead: the gradient at batch 1 less its matrix products (what does not grow with the batch: the
  Python and NumPy call costs);
- elementwise: the gradient at batch 128 less its matrix products and the overhead (activations,
  dropout, batch norm, softmax, bias sums).

The step's FLOPs count 2·m·n·k per product: forward, weight gradients, and input gradients of all
but the first layer (which trainlab skips). Achieved GFLOP/s = FLOPs / step time.

``--clock cpu`` times with the process's CPU time instead of the wall clock: on a loaded machine
(more runnable processes than cores) the wall clock mostly measures the wait for a core, while the
CPU time of a one-thread run is the work itself. With more threads it also counts BLAS threads
spinning while they wait for each other, so use it with ``--threads 1``.

    python benchmarks/step_profile.py [--repeats 5] [--calls 50] [--threads 1,2] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from peers import book_model, load_average
from threadpoolctl import threadpool_limits

import trainlab as tl

PEAK_SIZE = 1024


def fashion_model(batch: int, seed: int = 0):
    layers = []
    for units in (512, 256):
        layers += [tl.Dense(units, init="he_normal"), tl.BatchNorm(), tl.ReLU(), tl.Dropout(0.2)]
    model = tl.Sequential([*layers, tl.Dense(10)], input_dim=784, seed=seed)
    rng = np.random.default_rng(seed)
    return model, rng.standard_normal((batch, 784)).astype(np.float32), rng.integers(0, 10, batch)


def matmul_replay(model: tl.Sequential, batch: int):
    """A function doing the step's matrix products (same shapes and layouts) and their FLOP count."""
    rng = np.random.default_rng(1)
    products, flops = [], 0
    dense = [layer for layer in model.layers if isinstance(layer, tl.Dense)]
    for i, layer in enumerate(dense):
        m, n = layer.input_shape[0], layer.units
        x, W = rng.standard_normal((batch, m), np.float32), rng.standard_normal((m, n), np.float32)
        dy = rng.standard_normal((batch, n), np.float32)
        products += [
            (x, W, np.empty((batch, n), np.float32)),
            (x.T, dy, np.empty((m, n), np.float32)),
        ]
        if i > 0:
            products.append((dy, W.T, np.empty((batch, m), np.float32)))
        flops += 2 * batch * m * n * (3 if i > 0 else 2)

    def replay():
        for a, b, out in products:
            np.matmul(a, b, out=out)

    return replay, flops


def sgemm():
    a = np.random.default_rng(0).standard_normal((PEAK_SIZE, PEAK_SIZE), np.float32)
    out = np.empty_like(a)
    return lambda: np.matmul(a, a, out=out)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def seconds(function, calls: int, clock=time.perf_counter) -> float:
    start = clock()
    for _ in range(calls):
        function()
    return (clock() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds (median taken)")
    parser.add_argument("--calls", type=int, default=50, help="calls per timed block")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall clock, or the process's CPU time (steadier on a loaded machine, one thread)",
    )
    args = parser.parse_args()
    nets = {
        "book 784-100x4-10 ReLU, SGD": (lambda batch: book_model(batch), lambda: tl.SGD(lr=0.01)),
        "fashion 784-512-256-10 BN Dropout, AdamW": (
            fashion_model,
            lambda: tl.AdamW(lr=1e-3, weight_decay=1e-4),
        ),
    }
    print(
        f"batch 128, float32; medians of {args.repeats} interleaved rounds of {args.calls} calls, "
        f"{args.clock} time; "
        f"{load_average()}"
    )
    for threads in [int(n) for n in args.threads.split(",")]:
        with threadpool_limits(threads):
            profile(nets, threads, args.repeats, args.calls, CLOCKS[args.clock])
    print(f"  {load_average()} at the end")


def contenders(make_model, make_optimizer, batch: int = 128):
    model, x, t = make_model(batch)
    small, x1, t1 = make_model(1)
    optimizer, params = make_optimizer(), model.params
    frozen = {name: np.array(grad) for name, grad in model.gradient(x, t).items()}
    other, other_params = make_optimizer(), {name: np.array(p) for name, p in params.items()}
    replay, flops = matmul_replay(model, batch)
    replay_1, _ = matmul_replay(small, 1)
    functions = {
        "step": lambda: optimizer.update(params, model.gradient(x, t)),
        "update": lambda: other.update(other_params, frozen),
        "matmul": replay,
        "gradient_1": lambda: small.gradient(x1, t1),
        "matmul_1": replay_1,
    }
    return functions, flops


def profile(nets, threads: int, repeats: int, calls: int, clock) -> None:
    peak_function = sgemm()
    timed = {"peak": peak_function}
    flops = {}
    for net, (make_model, make_optimizer) in nets.items():
        functions, flops[net] = contenders(make_model, make_optimizer)
        timed |= {(net, part): function for part, function in functions.items()}
    for function in timed.values():  # warm up
        seconds(function, 3, clock)
    times: dict = {key: [] for key in timed}
    for _ in range(repeats):
        for key, function in timed.items():
            times[key].append(
                seconds(function, max(1, calls // 10) if key == "peak" else calls, clock)
            )
    median = {key: statistics.median(values) for key, values in times.items()}
    peak = 2 * PEAK_SIZE**3 / median["peak"] / 1e9
    print(f"\n{threads} thread(s): sgemm peak {peak:6.1f} GFLOP/s ({PEAK_SIZE}^3 float32)")
    for net in nets:
        part = {
            name: median[(net, name)] * 1e3
            for name in ("step", "update", "matmul", "gradient_1", "matmul_1")
        }
        overhead = max(part["gradient_1"] - part["matmul_1"], 0.0)
        elementwise = part["step"] - part["update"] - part["matmul"] - overhead
        limit = flops[net] / peak / 1e6
        achieved = flops[net] / (part["step"] / 1e3) / 1e9
        print(f"  {net}: {flops[net] / 1e6:.1f} MFLOP/step")
        print(
            f"    step {part['step']:7.3f} ms = matmul {part['matmul']:.3f} + elementwise {elementwise:.3f} "
            f"+ update {part['update']:.3f} + overhead {overhead:.3f}"
        )
        print(
            f"    achieved {achieved:6.1f} GFLOP/s = {100 * achieved / peak:4.1f}% of the sgemm peak; "
            f"matmul limit {limit:.3f} ms; the matmuls alone reach "
            f"{100 * limit / part['matmul']:.0f}% of peak"
        )


if __name__ == "__main__":
    main()
