"""The book's 784-100x4-10 ReLU net and its SGD step in trainlab, PyTorch, JAX and bare NumPy, and
an interleaved timer.

Shared by the benchmarks (``python benchmarks/x.py`` puts this folder on ``sys.path``). PyTorch and
JAX are benchmark-only dependencies (``pip install -e .[bench]``); a peer that is not installed is
skipped. Each builder returns a ``step()`` closure that runs one full training step on a fixed batch
and waits for its result, so that timings compare finished work.
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

import trainlab as tl

BOOK_SIZES = [784, 100, 100, 100, 100, 10]
LR = 0.01


def book_model(
    batch: int, dtype: str = "float32", seed: int = 0
) -> tuple[tl.Sequential, np.ndarray, np.ndarray]:
    """The book's net in trainlab and one fixed batch (x, t) for it."""
    sizes = BOOK_SIZES
    model = tl.Sequential(
        [layer for units in sizes[1:-1] for layer in (tl.Dense(units, init="he_normal"), tl.ReLU())]
        + [tl.Dense(sizes[-1], init="he_normal")],
        input_dim=sizes[0],
        seed=seed,
        dtype=dtype,
    )
    rng = np.random.default_rng(seed)
    return (
        model,
        rng.standard_normal((batch, sizes[0])).astype(dtype),
        rng.integers(0, sizes[-1], batch),
    )


def trainlab_step(batch: int, dtype: str = "float32", seed: int = 0) -> Callable[[], None]:
    model, x, t = book_model(batch, dtype, seed)
    optimizer, params = tl.SGD(lr=LR), model.params

    def step():
        optimizer.update(params, model.gradient(x, t))

    return step


def numpy_step(batch: int, dtype: str = "float32", seed: int = 0) -> Callable[[], None]:
    """The same step hand-written in bare NumPy: no layers, no checks, no NaN guard, in place where it can be.

    It computes what trainlab's step computes, in the same order (the same numbers at one BLAS
    thread), so trainlab / this is what the library's structure and checks cost over the least a
    NumPy step can do.
    """
    model, x, t = book_model(batch, dtype, seed)
    W = [layer.params["W"].copy() for layer in model.layers if isinstance(layer, tl.Dense)]
    b = [layer.params["b"].copy() for layer in model.layers if isinstance(layer, tl.Dense)]
    gW, gb, work = (
        [np.empty_like(w) for w in W],
        [np.empty_like(v) for v in b],
        np.empty(W[0].size, dtype),
    )
    rows, hidden = np.arange(batch), range(len(W) - 1)

    def step() -> float:
        inputs, masks, h = [], [], x
        for i in hidden:  # h ← relu(h·W + b)
            inputs.append(h)
            h = h @ W[i]
            h += b[i]
            masks.append((h > 0).astype(dtype))
            h *= masks[-1]
        inputs.append(h)
        y = h @ W[-1]
        y += b[-1]
        y -= np.ascontiguousarray(y.T).max(axis=0)[
            :, None
        ]  # softmax cross-entropy, shifted by the row max
        probs = np.exp(y)
        sums = np.add.reduce(probs, axis=1, keepdims=True)
        probs /= sums
        loss = float(np.add.reduce(np.log(sums)[:, 0] - y[rows, t]) / batch)
        probs[rows, t] -= 1.0  # dL/dy = (softmax − onehot) / N
        dy = probs
        dy /= batch
        for i in range(len(W) - 1, -1, -1):
            np.matmul(inputs[i].T, dy, out=gW[i])
            np.add.reduce(dy, axis=0, out=gb[i])
            if i:
                dy = dy @ W[i].T
                dy *= masks[i - 1]
        for theta, g in zip([*W, *b], [*gW, *gb], strict=True):  # θ ← θ − η·g
            theta -= np.multiply(LR, g, out=work[: g.size].reshape(g.shape))
        return loss

    return step


def torch_step(batch: int, dtype: str = "float32", seed: int = 0) -> Callable[[], None]:
    import torch  # optional benchmark-only dependency

    torch.manual_seed(seed)
    layers = []
    for fan_in, fan_out in itertools.pairwise(
        BOOK_SIZES[:-1]
    ):  # hidden layers; the output layer follows
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(BOOK_SIZES[-2], BOOK_SIZES[-1])).to(
        getattr(torch, dtype)
    )
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    loss_function = torch.nn.CrossEntropyLoss()
    x = torch.randn(batch, BOOK_SIZES[0], dtype=getattr(torch, dtype))
    t = torch.randint(0, BOOK_SIZES[-1], (batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss_function(net(x), t).backward()
        optimizer.step()

    return step


def limit_threads(threads: int | None):
    """Limit NumPy's BLAS, PyTorch and XLA to ``threads`` threads (None: each library's default).

    Call before the peers are built: XLA reads its flags when JAX starts. Returns the threadpoolctl
    limiter, which must be kept alive for the limit to hold.
    """
    if threads is None:
        return None
    flags = (
        "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" if threads == 1 else ""
    )
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()
    try:
        import torch  # optional benchmark-only dependency

        torch.set_num_threads(threads)
    except ModuleNotFoundError:
        pass
    return threadpool_limits(threads)


def pin_cores(cores: int | None) -> str:
    """Pin this process (every thread of every framework) to its first ``cores`` allowed cores (Linux).

    Returns a note for the output. ``--threads`` limits each library's own pools, but JAX also runs
    its compiled step on a thread apart from the Python one, which a second core lets it overlap:
    pinned to one core, the frameworks share exactly one.
    """
    if cores is None:
        return "not pinned"
    if not hasattr(os, "sched_setaffinity"):
        raise SystemExit(
            f"--cores {cores}: pinning needs Linux (os.sched_setaffinity); leave --cores out here"
        )
    allowed = sorted(os.sched_getaffinity(0))
    if not 1 <= cores <= len(allowed):
        raise SystemExit(f"--cores {cores}: this process may use 1 to {len(allowed)} cores")
    os.sched_setaffinity(0, allowed[:cores])
    return f"pinned to core(s) {', '.join(map(str, allowed[:cores]))}"


def import_jax():
    """jax and jax.numpy on the CPU (optional benchmark-only dependency: imported only when asked for)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    return jax, jnp


def jax_step(batch: int, dtype: str = "float32", seed: int = 0) -> Callable[[], None]:
    """The same step as one ``jax.jit``-compiled function (parameters donated, so updated in place)."""
    jax, jnp = import_jax()
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    _, x, t = book_model(batch, dtype, seed)
    rng = np.random.default_rng(seed)
    params = [
        (
            jnp.asarray(rng.standard_normal((m, n)).astype(dtype) * np.sqrt(2 / m).astype(dtype)),
            jnp.zeros(n, dtype),
        )
        for m, n in itertools.pairwise(BOOK_SIZES)
    ]
    x, t = jnp.asarray(x), jnp.asarray(t)

    def loss(params, x, t):
        for W, b in params[:-1]:
            x = jax.nn.relu(x @ W + b)
        W, b = params[-1]
        log_probs = jax.nn.log_softmax(x @ W + b)
        return -jnp.mean(jnp.take_along_axis(log_probs, t[:, None], axis=1))

    def sgd(params, x, t):
        value, grads = jax.value_and_grad(loss)(params, x, t)
        return jax.tree.map(lambda p, g: p - LR * g, params, grads), value

    update = jax.jit(sgd, donate_argnums=0)
    state = {"params": params}

    def step():
        state["params"], value = update(state["params"], x, t)
        value.block_until_ready()

    return step


def peers(
    batch: int, dtype: str = "float32", only: str = "pytorch,jax"
) -> dict[str, Callable[[], None]]:
    """trainlab's step and, for each peer in ``only`` that imports, its step, named with version and
    threads."""
    contenders = {
        "trainlab": trainlab_step(batch, dtype),
        "numpy, hand-written (no library)": numpy_step(batch, dtype),
    }
    try:
        if "pytorch" not in only:
            raise ModuleNotFoundError
        import torch  # optional benchmark-only dependency

        contenders[f"pytorch {torch.__version__} ({torch.get_num_threads()} threads)"] = torch_step(
            batch, dtype
        )
    except ModuleNotFoundError:
        print("torch is not installed or not asked for: skipping PyTorch (pip install -e .[bench])")
    try:
        if "jax" not in only:
            raise ModuleNotFoundError
        jax, _ = import_jax()
        contenders[f"jax {jax.__version__} (jit, cpu)"] = jax_step(batch, dtype)
    except ModuleNotFoundError:
        print("jax is not installed or not asked for: skipping JAX (pip install -e .[bench])")
    return contenders


def ms_per_call(function: Callable[[], None], calls: int) -> tuple[float, float]:
    """Wall-clock and CPU (all the process's threads) milliseconds per call.

    On a loaded machine the CPU time is the steadier measure of the work done: wall time also counts
    the time spent waiting for a core.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        function()
    return (time.perf_counter() - wall) / calls * 1e3, (time.process_time() - cpu) / calls * 1e3


def interleaved(
    contenders: dict[str, Callable[[], None]], calls: int, repeats: int
) -> dict[str, list]:
    """(wall, cpu) ms per call of each contender, timed in ``repeats`` rounds of one block each."""
    for function in contenders.values():  # warm up: compile, fill caches, start BLAS threads
        ms_per_call(function, calls // 3 + 1)
    times: dict[str, list] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, function in contenders.items():
            times[name].append(ms_per_call(function, calls))
    return times


def print_times(times: dict[str, list], unit: str = "ms/step") -> dict[str, tuple[float, float]]:
    """Print and return the median wall and CPU time of each contender."""
    medians = {}
    for name, values in times.items():
        wall, cpu = (statistics.median(column) for column in zip(*values, strict=True))
        medians[name] = (wall, cpu)
        print(
            f"  {name:<34} wall {wall:8.3f} {unit} (min {min(v[0] for v in values):.3f})   cpu "
            f"{cpu:8.3f} {unit}"
        )
    return medians


def load_average() -> str:
    try:
        return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:  # not on every platform
        return "load average unknown"
