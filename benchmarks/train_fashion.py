"""The training benchmark of the training issue: one recipe in trainlab and in PyTorch CPU, same data.

Fashion-MNIST, MLP 784-512-256-10 with BatchNorm, ReLU and Dropout 0.2 after each hidden layer, AdamW
(lr 1e-3, weight decay 1e-4) under a 1cycle schedule (max lr 3e-3), batch 128, 20 epochs. Prints test
accuracy and wall time for each, and the ratio of wall times (targets: accuracy >= 0.905, trainlab's
time <= PyTorch's). Both loops are minimal: a shuffled index per epoch and fancy-indexed batches.

    python benchmarks/train_fashion.py [--epochs 20] [--seed 0] [--only trainlab|pytorch]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import trainlab as tl
from trainlab.data import load_dataset

HIDDEN = (512, 256)
LR, WEIGHT_DECAY, MAX_LR, BATCH = 1e-3, 1e-4, 3e-3, 128


def run_trainlab(data, epochs: int, seed: int) -> tuple[float, float]:
    layers = []
    for units in HIDDEN:
        layers += [tl.Dense(units, init="he_normal"), tl.BatchNorm(), tl.ReLU(), tl.Dropout(0.2)]
    model = tl.Sequential([*layers, tl.Dense(10, init="glorot_uniform")], input_dim=784, seed=seed)
    model.compile(tl.AdamW(lr=LR, weight_decay=WEIGHT_DECAY))
    steps = epochs * int(np.ceil(len(data.x_train) / BATCH))
    start = time.perf_counter()
    model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=BATCH, evaluate_train=False, verbose=0,
              callbacks=[tl.OneCycle(max_lr=MAX_LR, total_steps=steps)])
    seconds = time.perf_counter() - start
    return model.accuracy(data.x_test, data.y_test), seconds


def run_pytorch(data, epochs: int, seed: int) -> tuple[float, float]:
    import torch

    torch.manual_seed(seed)
    layers, fan_in = [], 784
    for units in HIDDEN:
        layers += [torch.nn.Linear(fan_in, units), torch.nn.BatchNorm1d(units, momentum=0.1), torch.nn.ReLU(),
                   torch.nn.Dropout(0.2)]
        fan_in = units
    net = torch.nn.Sequential(*layers, torch.nn.Linear(fan_in, 10))
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train.astype(np.int64))
    steps_per_epoch = int(np.ceil(len(x) / BATCH))
    optimizer = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    # the same 1cycle as trainlab's OneCycle: up 45 %, down 45 %, annihilation 10 %, linear, β1 0.95↔0.85
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=MAX_LR, total_steps=epochs * steps_per_epoch, pct_start=0.45, anneal_strategy="linear",
        div_factor=10, final_div_factor=1000, three_phase=True, base_momentum=0.85, max_momentum=0.95,
    )
    loss_function = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), BATCH):
            index = order[i : i + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss_function(net(x[index]), y[index]).backward()
            optimizer.step()
            schedule.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        predicted = net(torch.from_numpy(data.x_test)).argmax(dim=1).numpy()
    return float(np.mean(predicted == data.y_test)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--only", choices=["trainlab", "pytorch"])
    args = parser.parse_args()

    data = load_dataset(args.dataset)
    print(f"{data.name}: {len(data.x_train)} training and {len(data.x_test)} test images ({data.source})")
    results = {}
    if args.only != "pytorch":
        results["trainlab"] = run_trainlab(data, args.epochs, args.seed)
    if args.only != "trainlab":
        try:
            import torch

            results[f"pytorch {torch.__version__} ({torch.get_num_threads()} threads)"] = run_pytorch(
                data, args.epochs, args.seed
            )
        except ImportError:
            print("torch is not importable: timing trainlab alone")
    for name, (accuracy, seconds) in results.items():
        print(f"  {name:<32} test accuracy {accuracy:.4f}   wall time {seconds:6.1f} s")
    if len(results) == 2:
        (_, ours), (_, theirs) = results.values()
        print(f"  wall time trainlab / pytorch: {ours / theirs:.2f}  (goal <= 1.00; accuracy goal >= 0.905)")


if __name__ == "__main__":
    main()
