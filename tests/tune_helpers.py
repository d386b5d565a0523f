"""A search of seconds, shared by the tune tests: as a SearchConfig and as `trainlab tune` options."""

from trainlab.tune import SearchConfig

TINY = ("lr=1e-3..1e-1:log", "weight_decay=1e-8..1e-4:log", "hidden_layers=1", "hidden_units=16")


def tiny(**changes) -> SearchConfig:
    """A search of seconds: 6 trials of 3 epochs on 240 + 60 samples, a 784-16-10 network."""
    settings = {
        "dataset": "mnist-mini",
        "train_samples": 300,
        "epochs": 3,
        "trials": 6,
        "space": TINY,
        "seed": 0,
    }
    return SearchConfig(**{**settings, **changes})


def tiny_args(*extra: str) -> list[str]:
    """The same search as ``tiny()`` as ``trainlab tune`` options."""
    return [
        "--dataset",
        "mnist-mini",
        "--train-samples",
        "300",
        "--epochs",
        "3",
        "--trials",
        "6",
        *(f"--space={entry}" for entry in TINY),
        *extra,
    ]
