"""Built-in tasks for the ``nerve`` command: a model, its data and how to judge it.

A task turns a config (a flat dict of options: epochs, batch_size, lr, optimizer,
hidden, seed, ...) into a model, loaders and a loss; ``run_training`` trains it with
``nerve.train.fit``, checkpointing every epoch so that ``--resume`` continues exactly.
"""

from __future__ import annotations

import json
import os

import nerve
from nerve import nn

TASKS: dict[str, type[Task]] = {}


def register(cls):
    TASKS[cls.name] = cls
    return cls


class Task:
    """One built-in task. Subclasses set ``name``, ``defaults`` and build the parts."""

    name = ""
    description = ""
    defaults: dict = {}
    metrics = ["accuracy"]

    def __init__(self, config: dict | None = None) -> None:
        cfg = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "optimizer": "adam",
               "hidden": 128, "seed": 0}
        cfg.update(self.defaults)
        cfg.update({k: v for k, v in (config or {}).items() if v is not None})
        _check_sizes(self.name, cfg)
        self.config = cfg

    def build_model(self) -> nn.Module:
        raise NotImplementedError

    def loaders(self):
        """(train, validation, test) loaders; validation may be None."""
        raise NotImplementedError

    def loss_fn(self):
        return nn.CrossEntropyLoss()

    def make_scheduler(self, optimizer):
        """A learning-rate schedule stepped once per epoch, or None."""
        return None

    def extra_state(self) -> dict:
        """Things besides the weights a checkpoint needs (a vocabulary, say)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        return None

    def report(self, model, test_metrics: dict) -> dict:
        """The task's headline figures from the test metrics (accuracy, perplexity)."""
        return dict(test_metrics)

    def generate(self, model, length: int, temperature: float, prime: str) -> str:
        raise NotImplementedError(f"task {self.name} does not generate text")


def make_optimizer(name: str, params, lr: float):
    opts = {"sgd": lambda: nerve.optim.SGD(params, lr=lr, momentum=0.9),
            "adam": lambda: nerve.optim.Adam(params, lr=lr),
            "adamw": lambda: nerve.optim.AdamW(params, lr=lr),
            "rmsprop": lambda: nerve.optim.RMSprop(params, lr=lr),
            "adagrad": lambda: nerve.optim.Adagrad(params, lr=lr)}
    if name not in opts:
        raise ValueError(f"unknown optimizer '{name}' (choose from {', '.join(opts)})")
    return opts[name]()


def get_task(name: str, config: dict | None = None) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task '{name}' (choose from {', '.join(sorted(TASKS))})")
    return TASKS[name](config)


def save_run(path: str, task: Task, model, optimizer, epoch: int, loader=None,
             scheduler=None, history: list | None = None) -> None:
    """``history`` is every finished epoch's logs so far (a list of dicts), kept in the
    checkpoint so that a resumed run continues, and plots, the whole trajectory."""
    from nerve.train import save_checkpoint

    save_checkpoint(path, model, optimizer, scheduler, epoch=epoch, train_loader=loader,
                    task=task.name, config=json.dumps(task.config),
                    extra=json.dumps(task.extra_state()), history=json.dumps(history or []))


def run_history(path: str) -> list[dict]:
    """The per-epoch logs stored by ``save_run`` in the checkpoint at ``path``."""
    return run_record(path)["history"]


def run_record(path: str) -> dict:
    """What ``save_run`` stored besides the weights: task name, config, history."""
    from nerve.io import load

    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    obj = load(path, map_location="cpu")
    if not isinstance(obj, dict) or "task" not in obj or "config" not in obj:
        raise ValueError(f"{path} is not a checkpoint written by `nerve train`")
    history = json.loads(_text(obj["history"])) if "history" in obj else []
    return {"task": _text(obj["task"]), "config": json.loads(_text(obj["config"])),
            "history": history}


def _check_sizes(task: str, cfg: dict) -> None:
    """One clear line for a size that cannot train (``--hidden 0``, ``--epochs 0`` ...)."""
    for key in ("epochs", "batch_size", "hidden"):
        v = cfg.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{task}: {key} must be a whole number of at least 1, got {v!r}")
    lr = cfg.get("lr")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, int | float) or lr <= 0):
        raise ValueError(f"{task}: lr must be a positive number, got {lr!r}")


def open_run(path: str, device="cpu"):
    """(task, model, checkpoint) from a checkpoint written by ``save_run`` (or the run
    folder holding its ``last.nrv``), weights loaded, the model on ``device``."""
    from nerve.io import load

    if os.path.isdir(path):
        path = os.path.join(path, "last.nrv")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    obj = load(path, map_location=device)
    if not isinstance(obj, dict) or "task" not in obj or "model" not in obj:
        raise ValueError(f"{path} is not a checkpoint written by `nerve train`")
    task = get_task(_text(obj["task"]), json.loads(_text(obj["config"])))
    task.load_extra_state(json.loads(_text(obj.get("extra", "{}"))))
    model = task.build_model().to(device)
    model.load_state_dict(obj["model"])
    return task, model, obj


def _text(v) -> str:
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    return v.decode() if isinstance(v, bytes) else str(v)
