"""The training benchmark of the training issue: one recipe in trainlab and in PyTorch CPU, same data.

Fashion-MNIST, MLP 784-512-256-10 with BatchNorm, ReLU and Dropout 0.2 after each hidden layer, AdamW
(lr 1e-3, weight decay 1e-4) under a 1cycle schedule (max lr 3e-3), batch 128, 20 epochs. Prints test
accuracy and wall time for each, and the ratio of wall times (targets: accuracy >= 0.905, trainlab's
time <= PyTorch's). The PyTorch loop is minimal (a shuffled index per epoch, indexed batches, no
DataLoader). The two alternate epoch by epoch (a callback runs one PyTorch epoch after each trainlab
epoch, timed apart and subtracted), so that both see the same load on a shared machine.

    python benchmarks/train_fashion.py [--epochs 20] [--seed 0] [--dataset fashion-mnist]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import trainlab as tl
from trainlab.data import load_dataset

HIDDEN = (512, 256)
LR, WEIGHT_DECAY, MAX_LR, BATCH = 1e-3, 1e-4, 3e-3, 128


class TorchRecipe:
    """The same recipe in PyTorch, trained one epoch per call so that it can alternate with trainlab's."""

    def __init__(self, data, epochs: int, seed: int) -> None:
        import torch

        self.torch, self.data = torch, data
        torch.manual_seed(seed)
        layers, fan_in = [], 784
        for units in HIDDEN:
            layers += [torch.nn.Linear(fan_in, units), torch.nn.BatchNorm1d(units, momentum=0.1), torch.nn.ReLU(),
                       torch.nn.Dropout(0.2)]
            fan_in = units
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(fan_in, 10))
        self.x, self.y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train.astype(np.int64))
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        # the same 1cycle as trainlab's OneCycle: up 45 %, down 45 %, annihilation 10 %, linear, β1 0.95↔0.85
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=MAX_LR, total_steps=epochs * steps_per_epoch(data), pct_start=0.45,
            anneal_strategy="linear", div_factor=10, final_div_factor=1000, three_phase=True,
            base_momentum=0.85, max_momentum=0.95,
        )
        self.loss_function = torch.nn.CrossEntropyLoss()
        self.seconds = 0.0

    def epoch(self) -> None:
        start = time.perf_counter()
        self.net.train()
        order = self.torch.randperm(len(self.x))
        for i in range(0, len(self.x), BATCH):
            index = order[i : i + BATCH]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss_function(self.net(self.x[index]), self.y[index]).backward()
            self.optimizer.step()
            self.schedule.step()
        self.seconds += time.perf_counter() - start

    def test_accuracy(self) -> float:
        self.net.eval()
        with self.torch.no_grad():
            predicted = self.net(self.torch.from_numpy(self.data.x_test)).argmax(dim=1).numpy()
        return float(np.mean(predicted == self.data.y_test))


class Alternate(tl.Callback):
    """After each trainlab epoch, one PyTorch epoch: both see the same machine load."""

    def __init__(self, peer: TorchRecipe | None) -> None:
        self.peer = peer

    def on_epoch_end(self, epoch, logs):
        if self.peer is not None:
            self.peer.epoch()


def steps_per_epoch(data) -> int:
    return int(np.ceil(len(data.x_train) / BATCH))


def run(data, epochs: int, seed: int, peer: TorchRecipe | None) -> tuple[float, float]:
    """Train trainlab's model (alternating with ``peer``); return its test accuracy and its own seconds."""
    layers = []
    for units in HIDDEN:
        layers += [tl.Dense(units, init="he_normal"), tl.BatchNorm(), tl.ReLU(), tl.Dropout(0.2)]
    model = tl.Sequential([*layers, tl.Dense(10, init="glorot_uniform")], input_dim=784, seed=seed)
    model.compile(tl.AdamW(lr=LR, weight_decay=WEIGHT_DECAY))
    start = time.perf_counter()
    model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=BATCH, evaluate_train=False, verbose=0,
              callbacks=[tl.OneCycle(max_lr=MAX_LR, total_steps=epochs * steps_per_epoch(data)), Alternate(peer)])
    seconds = time.perf_counter() - start - (peer.seconds if peer is not None else 0.0)
    return model.accuracy(data.x_test, data.y_test), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", default="fashion-mnist")
    args = parser.parse_args()

    data = load_dataset(args.dataset)
    print(f"{data.name}: {len(data.x_train)} training and {len(data.x_test)} test images ({data.source})")
    peer = None
    try:
        import torch

        peer = TorchRecipe(data, args.epochs, args.seed)
        peer_name = f"pytorch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        print("torch is not importable: timing trainlab alone")
    accuracy, seconds = run(data, args.epochs, args.seed, peer)
    print(f"  {'trainlab':<32} test accuracy {accuracy:.4f}   wall time {seconds:6.1f} s")
    if peer is not None:
        print(f"  {peer_name:<32} test accuracy {peer.test_accuracy():.4f}   wall time {peer.seconds:6.1f} s")
        print(f"  wall time trainlab / pytorch: {seconds / peer.seconds:.2f}  (goal <= 1.00; accuracy goal >= 0.905)")


if __name__ == "__main__":
    main()
