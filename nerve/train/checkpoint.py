"""Training checkpoints: everything a run needs to continue exactly where it stopped.

A checkpoint is a dict saved with ``nerve.save`` (no pickle): the model's and the
optimizer's (and scheduler's) state_dicts, the number of finished epochs, and the state
of the global random generator (and of the train loader's own generator, if it has one)
so shuffling and dropout continue with the same draws as an uninterrupted run.
"""

from __future__ import annotations

import json
import os

from nerve import random

_MARK = "nerve_checkpoint"


def save_checkpoint(
    path: str | os.PathLike,
    model,
    optimizer=None,
    scheduler=None,
    epoch: int = 0,
    train_loader=None,
    weights_only: bool = False,
    **extra,
) -> str:
    """Write a checkpoint with ``nerve.save``, atomically (a crash never leaves a
    truncated file), creating the folder if needed.

    ``epoch`` is the number of finished epochs: pass it back as ``fit(initial_epoch=...)``.
    With ``weights_only`` the file holds the model's state_dict alone. ``extra`` items
    (numbers, strings, arrays) are stored as they are. Returns the path.
    """
    if weights_only:
        obj = model.state_dict()
    else:
        obj = {
            _MARK: 1,
            "model": model.state_dict(),
            "epoch": int(epoch),
            # a JSON string: the generator state holds 128-bit integers
            "rng_state": json.dumps(random.get_rng_state()),
        }
        if optimizer is not None:
            obj["optimizer"] = optimizer.state_dict()
        if scheduler is not None:
            obj["scheduler"] = scheduler.state_dict()
        generator = getattr(train_loader, "generator", None)
        if generator is not None:
            obj["loader_rng_state"] = json.dumps(generator.get_state())
        obj.update(extra)
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    from nerve.io import save  # late, so importing nerve.train never needs io

    save(obj, path)  # atomic for a path: temporary file, then rename
    return path


def load_checkpoint(
    path: str | os.PathLike,
    model,
    optimizer=None,
    scheduler=None,
    train_loader=None,
    restore_rng: bool = True,
) -> int:
    """Load a checkpoint into fresh objects; returns the number of finished epochs.

    Resume with ``fit(..., initial_epoch=load_checkpoint(path, model, optimizer))``.
    A weights-only file loads into the model and returns 0.
    """
    from nerve.io import load

    device = next((p.device for p in model.parameters()), None)
    obj = load(os.fspath(path), map_location=device)  # onto the model's device
    if not isinstance(obj, dict):
        raise ValueError(
            f"load_checkpoint: {os.fspath(path)!r} holds a "
            f"{type(obj).__name__}, not a checkpoint dict"
        )
    if _MARK not in obj:
        model.load_state_dict(obj)
        return 0
    model.load_state_dict(obj["model"])
    _load_part(obj, "optimizer", optimizer, path)
    _load_part(obj, "scheduler", scheduler, path)
    if restore_rng:
        random.set_rng_state(json.loads(_text(obj["rng_state"])))
        generator = getattr(train_loader, "generator", None)
        if generator is not None and "loader_rng_state" in obj:
            generator.set_state(json.loads(_text(obj["loader_rng_state"])))
    return int(obj["epoch"])


def _load_part(obj: dict, key: str, target, path) -> None:
    if target is None:
        return
    if key not in obj:
        raise KeyError(
            f"load_checkpoint: {os.fspath(path)!r} has no {key} state (keys: {sorted(obj)})"
        )
    target.load_state_dict(obj[key])


def _text(value) -> str:
    """A str back from whatever nerve.load returns for one (str, bytes or 0-d array)."""
    if isinstance(value, bytes):
        return value.decode()
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    return value.decode() if isinstance(value, bytes) else str(value)
