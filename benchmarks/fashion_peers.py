"""The Fashion-MNIST recipe of benchmarks/train_fashion.py in PyTorch (eager) and JAX (jit), one
epoch per call.

MLP 784-512-256-10, BatchNorm, ReLU and Dropout 0.2 after each hidden layer, AdamW (lr 1e-3, weight
decay 1e-4) under 1cycle (max lr 3e-3), batch 128. Each loop is minimal: a shuffled index per epoch
and indexed batches, no DataLoader. ``epoch()`` adds its own wall time to ``seconds`` and the
process's CPU time (all its threads) to ``cpu_seconds``, so that the peers can alternate with
trainlab epoch by epoch and be timed apart. JAX compiles its step before the first epoch, outside
the timed time.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from peers import import_jax

import trainlab as tl

HIDDEN = (512, 256)
LR, WEIGHT_DECAY, MAX_LR, BATCH, DROPOUT = 1e-3, 1e-4, 3e-3, 128, 0.2


def steps_per_epoch(data) -> int:
    return int(np.ceil(len(data.x_train) / BATCH))


class TorchRecipe:
    """The recipe in PyTorch."""

    def __init__(self, data, epochs: int, seed: int) -> None:
        import torch  # optional benchmark-only dependency

        self.torch, self.data = torch, data
        torch.manual_seed(seed)
        layers, fan_in = [], 784
        for units in HIDDEN:
            layers += [
                torch.nn.Linear(fan_in, units),
                torch.nn.BatchNorm1d(units, momentum=0.1),
                torch.nn.ReLU(),
                torch.nn.Dropout(DROPOUT),
            ]
            fan_in = units
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(fan_in, 10))
        self.x, self.y = (
            torch.from_numpy(data.x_train),
            torch.from_numpy(data.y_train.astype(np.int64)),
        )
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        # the same 1cycle as trainlab's OneCycle: up 45 %, down 45 %, annihilation 10 %, linear, β1 0.95↔0.85
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer,
            max_lr=MAX_LR,
            total_steps=epochs * steps_per_epoch(data),
            pct_start=0.45,
            anneal_strategy="linear",
            div_factor=10,
            final_div_factor=1000,
            three_phase=True,
            base_momentum=0.85,
            max_momentum=0.95,
        )
        self.loss_function = torch.nn.CrossEntropyLoss()
        self.seconds = self.cpu_seconds = 0.0

    def epoch(self) -> None:
        start, cpu_start = time.perf_counter(), time.process_time()
        self.net.train()
        order = self.torch.randperm(len(self.x))
        for i in range(0, len(self.x), BATCH):
            index = order[i : i + BATCH]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss_function(self.net(self.x[index]), self.y[index]).backward()
            self.optimizer.step()
            self.schedule.step()
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu_start

    def test_accuracy(self) -> float:
        self.net.eval()
        with self.torch.no_grad():
            predicted = self.net(self.torch.from_numpy(self.data.x_test)).argmax(dim=1).numpy()
        return float(np.mean(predicted == self.data.y_test))


class JaxRecipe:
    """The recipe in JAX: one ``jax.jit``-compiled step (forward, backward, AdamW) with donated state."""

    def __init__(self, data, epochs: int, seed: int) -> None:
        self.jax, self.jnp = jax, jnp = import_jax()
        self.data, self.rng = data, np.random.default_rng(seed)
        self.key = jax.random.PRNGKey(seed)
        sizes, self.params, self.stats = [784, *HIDDEN, 10], [], []
        for i, (m, n) in enumerate(itertools.pairwise(sizes)):
            hidden = i < len(HIDDEN)
            init = "he_normal" if hidden else "glorot_uniform"
            layer = {
                "W": jnp.asarray(tl.get_initializer(init)((m, n), self.rng, np.float32)),
                "b": jnp.zeros(n),
            }
            if hidden:
                layer |= {"gamma": jnp.ones(n), "beta": jnp.zeros(n)}
                self.stats.append({"mean": jnp.zeros(n), "var": jnp.ones(n)})
            self.params.append(layer)
        zeros = jax.tree.map(jnp.zeros_like, self.params)
        self.adam = {"m": zeros, "v": jax.tree.map(jnp.zeros_like, self.params), "t": jnp.zeros(())}
        self.schedule = tl.OneCycle(max_lr=MAX_LR, total_steps=epochs * steps_per_epoch(data))
        self.steps, self.seconds, self.cpu_seconds = 0, 0.0, 0.0
        self.update = jax.jit(self.train_step, donate_argnums=(0, 1, 2))
        self.predict = jax.jit(lambda params, stats, x: self.forward(params, stats, x, None)[0])
        y = data.y_train.astype(np.int32)
        for size in {
            BATCH,
            len(y) % BATCH or BATCH,
        }:  # compile both batch shapes before the timed epochs
            copies = jax.tree.map(jnp.copy, (self.params, self.stats, self.adam))
            jax.block_until_ready(
                self.update(*copies, data.x_train[:size], y[:size], self.key, LR, 0.9)
            )

    def forward(self, params, stats, x, key):
        """Scores for ``x`` and the new running statistics; ``key`` None means inference."""
        jax, jnp = self.jax, self.jnp
        new_stats = []
        for layer, running in zip(params[:-1], stats, strict=True):
            x = x @ layer["W"] + layer["b"]
            if key is None:
                mean, var = running["mean"], running["var"]
            else:
                mean, var = x.mean(axis=0), x.var(axis=0)
                running = jax.tree.map(
                    lambda r, b: 0.9 * r + 0.1 * b, running, {"mean": mean, "var": var}
                )
            new_stats.append(running)
            x = jax.nn.relu(layer["gamma"] * (x - mean) / jnp.sqrt(var + 1e-5) + layer["beta"])
            if key is not None:
                key, subkey = jax.random.split(key)
                x = jnp.where(
                    jax.random.bernoulli(subkey, 1 - DROPOUT, x.shape), x / (1 - DROPOUT), 0.0
                )
        return x @ params[-1]["W"] + params[-1]["b"], new_stats

    def train_step(self, params, stats, adam, x, t, key, lr, beta_1):
        jax, jnp = self.jax, self.jnp

        def loss(params):
            scores, new_stats = self.forward(params, stats, x, key)
            log_probs = jax.nn.log_softmax(scores)
            return -jnp.mean(jnp.take_along_axis(log_probs, t[:, None], axis=1)), new_stats

        grads, new_stats = jax.grad(loss, has_aux=True)(params)
        step = adam["t"] + 1
        m = jax.tree.map(lambda m, g: beta_1 * m + (1 - beta_1) * g, adam["m"], grads)
        v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, adam["v"], grads)
        m_correction, v_correction = 1 - beta_1**step, 1 - 0.999**step

        def adamw(p, m, v):
            return p * (1 - lr * WEIGHT_DECAY) - lr * (m / m_correction) / (
                jnp.sqrt(v / v_correction) + 1e-8
            )

        return jax.tree.map(adamw, params, m, v), new_stats, {"m": m, "v": v, "t": step}

    def epoch(self) -> None:
        start, cpu_start = time.perf_counter(), time.process_time()
        x, y = self.data.x_train, self.data.y_train.astype(np.int32)
        order = self.rng.permutation(len(x))
        for i in range(0, len(x), BATCH):
            index = order[i : i + BATCH]
            self.key, key = self.jax.random.split(self.key)
            lr, beta_1 = self.schedule(self.steps), self.schedule.momentum(self.steps)
            self.params, self.stats, self.adam = self.update(
                self.params, self.stats, self.adam, x[index], y[index], key, lr, beta_1
            )
            self.steps += 1
        self.jax.block_until_ready(self.params)
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu_start

    def test_accuracy(self) -> float:
        scores = np.asarray(self.predict(self.params, self.stats, self.data.x_test))
        return float(np.mean(scores.argmax(axis=1) == self.data.y_test))
