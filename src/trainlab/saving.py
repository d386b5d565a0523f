"""Save and load models: architecture, weights, optimizer state and training progress in one file.

The file is a NumPy ``.npz`` archive (no pickle): ``weights/<name>`` and ``optimizer/<path>`` arrays
plus one JSON document, ``__trainlab__``, with the architecture, the compile settings, the
optimizer's other state, the random generators' states and the epoch/step counters. Saving writes a
temporary file in the same folder and renames it over the target
(:func:`trainlab.textio.atomic_writer`), so an interrupted save leaves the previous file intact; the
file gets the usual permissions (0644 under umask 022), and a target that is a device, a FIFO or a
symbolic link is refused rather than replaced.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainlab.epochs import OpenEpoch
from trainlab.history import History
from trainlab.registry import deserialize, serialize
from trainlab.textio import atomic_writer
from trainlab.validation import check_int

if TYPE_CHECKING:
    from trainlab.step import (
        Model as Sequential,
    )  # trainlab.model imports this module: no import back

FORMAT = "trainlab.model"
VERSION = 1
META_KEY = "__trainlab__"
MODEL_CLASS = (
    "Sequential"  # the class a file's "model" config builds, found by name (see trainlab.registry)
)


def split_arrays(tree: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON-able copy of ``tree`` with each array moved into ``arrays`` under its path."""
    if isinstance(tree, np.ndarray):
        arrays[prefix] = tree
        return {"__array__": prefix}
    if isinstance(tree, dict):
        return {key: split_arrays(value, f"{prefix}/{key}", arrays) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [split_arrays(value, f"{prefix}/{i}", arrays) for i, value in enumerate(tree)]
    return serialize(tree)


def join_arrays(tree: Any, archive: Any) -> Any:
    """The inverse of :func:`split_arrays`."""
    if isinstance(tree, dict) and set(tree) == {"__array__"}:
        return np.array(archive[tree["__array__"]])
    if isinstance(tree, dict):
        return {key: join_arrays(value, archive) for key, value in tree.items()}
    if isinstance(tree, list):
        return [join_arrays(value, archive) for value in tree]
    return tree


def save_model(model: Sequential, path: str | os.PathLike, include_optimizer: bool = True) -> None:
    """Write ``model`` to ``path`` atomically (see the module docstring for the format)."""
    path = Path(path)
    arrays = {f"weights/{name}": value for name, value in model.state_dict().items()}
    meta: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "model": model.get_config(),
        "metrics": model.metric_names,
        "progress": {
            "epochs_done": model.epochs_done,
            "iterations_done": model.iterations_done,
            "open_epoch": None if model.open_epoch is None else model.open_epoch.to_dict(),
        },
        "rng": {"layers": model.rng_state(), "data_order": model.data_rng.bit_generator.state},
        "history": None if model.history is None else model.history.to_dict(),
        "optimizer": None,
    }
    if include_optimizer and model.optimizer is not None:
        meta["optimizer"] = {
            "config": serialize(model.optimizer),
            "state": split_arrays(model.optimizer.state_dict(), "optimizer", arrays),
        }
    arrays[META_KEY] = np.array(json.dumps(meta))
    with atomic_writer(
        path
    ) as file:  # the umask's permissions; a device, FIFO or link at path is refused
        np.savez(file, **arrays)


def load_model(path: str | os.PathLike) -> Sequential:
    """A model saved by :func:`save_model`, with its optimizer and training progress when they were saved."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a trainlab model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if META_KEY not in archive.files:
                raise ValueError(f"{path} is not a trainlab model: it has no {META_KEY} entry")
            meta = json.loads(str(archive[META_KEY]))
            kind = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
            if kind != FORMAT:
                raise ValueError(f"{path} is not a trainlab model (format {kind!r})")
            if meta.get("version", 0) > VERSION:
                raise ValueError(
                    f"{path} was written by a newer trainlab (format version {meta['version']})"
                )
            return restore(meta, archive)
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        AttributeError,
    ) as error:
        problem = f"no entry {error}" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"{path} is not a readable trainlab model file: {problem}") from None


def restore(meta: dict[str, Any], archive: Any) -> Sequential:
    """The model that ``meta`` and the arrays of ``archive`` describe (a KeyError names a missing entry)."""
    model = deserialize({"class": MODEL_CLASS, "config": meta["model"]})
    model.load_state_dict(
        {
            name[len("weights/") :]: archive[name]
            for name in archive.files
            if name.startswith("weights/")
        }
    )
    if meta["optimizer"] is not None:
        optimizer = deserialize(meta["optimizer"]["config"])
        optimizer.load_state_dict(join_arrays(meta["optimizer"]["state"], archive))
        model.compile(optimizer, metrics=meta["metrics"])
    else:
        model.metric_names = meta["metrics"]
    model.set_rng_state(meta["rng"]["layers"])
    model.data_rng.bit_generator.state = meta["rng"]["data_order"]
    progress = meta["progress"]
    model.epochs_done = check_int("epochs_done", progress["epochs_done"], minimum=0)
    model.iterations_done = check_int("iterations_done", progress["iterations_done"], minimum=0)
    open_epoch = progress.get("open_epoch")  # absent in files of earlier versions
    model.open_epoch = None if open_epoch is None else OpenEpoch.from_dict(open_epoch)
    model.history = None if meta["history"] is None else History.from_dict(meta["history"])
    return model
