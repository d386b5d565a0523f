"""Time of one optimizer update for the parameters of a net, per optimizer, against torch.optim.

The nets (``--net``): ``book``, the textbook's 784-100x4-10 ReLU MLP (109,810 parameters in 10
arrays), and ``fashion``, the Fashion-MNIST recipe's 784-512-256-10 with BatchNorm (537,354 in 10
arrays), where the AdamW update is about a quarter of a training step.

For each trainlab optimizer, times ``optimizer.update(model.params, model.grads)`` on a built model
(its parameters and gradient buffers are views of one flat array each, as in training, so the
optimizer's one-call-per-run path is what is measured) with fixed gradients and, when torch is
importable, the matching ``torch.optim`` optimizer's ``step()`` (default settings) on tensors of the
same shapes, in the same process, in interleaved blocks (the machine is shared and noisy; the order
within each pair of blocks alternates). Prints, per update, the 20th percentile of each one's block
times in microseconds (the blocks that ran with the least interference from other processes) and
three ratios trainlab / PyTorch: of those percentiles, the median over pairs of neighbouring blocks
of their ratio, and of the median CPU times ("cpu": this thread's CPU time, which leaves out the
time other processes hold the core). On a quiet machine they agree; when most blocks are interrupted
(more runnable processes than cores) the wall-clock ratios mean little and "cpu" is the one to
trust.

Both libraries get the same number of threads (``--threads``, default 1: NumPy's elementwise passes
use one core, and on a shared machine a second torch thread mostly waits for a core).

    python benchmarks/optimizer_update.py [--net book|fashion] [--updates 10] [--repeats 101] [--threads 1]
                                          [--dtype float32] [--only adam,sgd]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping

import numpy as np
from threadpoolctl import threadpool_limits

import trainlab as tl


def book_net() -> list[tl.Layer]:
    """The textbook's 784-100x4-10 ReLU MLP."""
    hidden = [layer for _ in range(4) for layer in (tl.Dense(100, init="he_normal"), tl.ReLU())]
    return [*hidden, tl.Dense(10, init="he_normal")]


def fashion_net() -> list[tl.Layer]:
    """The Fashion-MNIST recipe's 784-512-256-10 MLP with BatchNorm and Dropout
    (benchmarks/train_fashion.py)."""
    hidden = [
        layer
        for units in (512, 256)
        for layer in (tl.Dense(units, init="he_normal"), tl.BatchNorm(), tl.ReLU(), tl.Dropout(0.2))
    ]
    return [*hidden, tl.Dense(10, init="glorot_uniform")]


NETS = {"book": book_net, "fashion": fashion_net}

# trainlab name -> (torch.optim class name, keyword arguments), default settings otherwise
TORCH = {
    "sgd": ("SGD", {"lr": 0.01}),
    "momentum": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "nesterov": ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    "adamax": ("Adamax", {}),
    "nadam": ("NAdam", {}),
    "adamw": ("AdamW", {}),
    "adadelta": ("Adadelta", {}),
    "amsgrad": ("Adam", {"amsgrad": True}),
    "radam": ("RAdam", {}),
    "lion": None,  # torch.optim has no Lion: trainlab alone
}


def model_params(net: str, dtype: str, seed: int = 0) -> Mapping[str, np.ndarray]:
    """The parameters of a freshly built ``net``, as the training loop hands them to the optimizer."""
    return tl.Sequential(NETS[net](), input_dim=784, seed=seed, dtype=dtype).params


def model_params_and_grads(
    net: str, dtype: str, seed: int = 0
) -> tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]:
    """A built model's parameters and its own gradient buffers (filled with small random numbers),
    the arrays the training loop hands the optimizer: views of the model's flat buffers, which the
    optimizer updates one run at a time (trainlab.optimizers.layout)."""
    model = tl.Sequential(NETS[net](), input_dim=784, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    grads = model.grads
    for g in grads.values():
        g[...] = 1e-3 * rng.standard_normal(g.shape)
    return model.params, grads


def trainlab_update(name: str, net: str, dtype: str, seed: int = 0):
    params, grads = model_params_and_grads(net, dtype, seed)
    optimizer = tl.get_optimizer(
        name, lr=1e-6
    )  # a tiny lr keeps the weights sane over many updates

    def update():
        optimizer.update(params, grads)

    return update


def torch_update(name: str, net: str, dtype: str, seed: int = 0):
    import torch

    generator = torch.Generator().manual_seed(seed)
    torch_dtype = getattr(torch, dtype)
    tensors = [
        torch.nn.Parameter(torch.randn(p.shape, generator=generator, dtype=torch_dtype))
        for p in model_params(net, dtype, seed).values()
    ]
    for tensor in tensors:
        tensor.grad = 1e-3 * torch.randn(tensor.shape, generator=generator, dtype=torch_dtype)
    class_name, kwargs = TORCH[name]
    optimizer = getattr(torch.optim, class_name)(tensors, **{**kwargs, "lr": 1e-6})
    return optimizer.step


def microseconds_per_call(function, calls: int) -> tuple[float, float]:
    """Wall-clock and CPU time (this thread's: not counting the time other processes hold the core)
    per call."""
    start, cpu = time.perf_counter(), time.thread_time()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6, (time.thread_time() - cpu) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--net", default="book", choices=list(NETS), help="whose parameters are updated"
    )
    parser.add_argument("--updates", type=int, default=10, help="updates per timed block")
    parser.add_argument(
        "--repeats", type=int, default=101, help="timed blocks per optimizer and library"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads of BLAS and of torch")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--only", default=",".join(TORCH), help="comma-separated optimizer names")
    args = parser.parse_args()
    names = [name.strip() for name in args.only.split(",")]
    threadpool_limits(args.threads)

    try:
        import torch

        torch.set_num_threads(args.threads)
        label = f"pytorch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch = None
        print("torch is not importable: timing trainlab alone")
    arrays = list(model_params(args.net, args.dtype).values())
    count = sum(array.size for array in arrays)
    print(
        f"one update of the {args.net} net's {count:,} parameters ({len(arrays)} arrays), {args.dtype}; "
        f"{args.repeats} blocks of {args.updates} updates each"
    )
    if torch is not None:
        print(
            f"  {'optimizer':<10} {'trainlab µs':>12} {'torch µs':>10} {'ratio':>6} {'paired':>7} "
            f"{'cpu':>5}   "
            f"({label}, torch.optim defaults; µs: 20th percentile)"
        )
    for name in names:
        contenders = {"trainlab": trainlab_update(name, args.net, args.dtype)}
        if torch is not None and TORCH[name] is not None:
            contenders["torch"] = torch_update(name, args.net, args.dtype)
        for function in contenders.values():  # warm up: state, scratch buffers, allocator
            microseconds_per_call(function, args.updates // 3 + 1)
        times: dict[str, list[float]] = {key: [] for key in contenders}
        cpu_times: dict[str, list[float]] = {key: [] for key in contenders}
        for repeat in range(args.repeats):
            order = list(contenders) if repeat % 2 == 0 else list(reversed(contenders))
            for key in order:
                wall, cpu = microseconds_per_call(contenders[key], args.updates)
                times[key].append(wall)
                cpu_times[key].append(cpu)
        ours = float(np.percentile(times["trainlab"], 20))
        if "torch" not in contenders:
            print(f"  {name:<10} {ours:12.1f}")
        else:
            theirs = float(np.percentile(times["torch"], 20))
            paired = statistics.median(
                a / b for a, b in zip(times["trainlab"], times["torch"], strict=True)
            )
            cpu = statistics.median(cpu_times["trainlab"]) / statistics.median(cpu_times["torch"])
            print(
                f"  {name:<10} {ours:12.1f} {theirs:10.1f} {ours / theirs:6.2f} {paired:7.2f} {cpu:5.2f}"
            )


if __name__ == "__main__":
    main()
