"""Built-in tasks for the ``nerve`` command: a model, its data and how to judge it.

A task turns its config (a ``Config`` dataclass, ``nerve.tasks.config``: epochs,
batch_size, lr, optimizer and its arguments, hidden, seed and the task's own options) into
a model, loaders, a loss and an optimizer; ``run_training`` trains it with
``nerve.train.fit``, checkpointing every epoch (the config too) so that ``--resume``
continues exactly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import ClassVar

from nerve import nn
from nerve.tasks.config import TaskConfig, check_values, make_config, settable_fields
from nerve.tasks.optimizers import all_optimizer_arguments, build_optimizer

TASKS: dict[str, type[Task]] = {}


def register(cls):
    shadowed = set(settable_fields(cls.Config)) & all_optimizer_arguments()
    if shadowed:  # --set KEY=VALUE would be ambiguous
        raise TypeError(
            f"task {cls.name}: options {sorted(shadowed)} are also optimizer "
            "arguments; name them otherwise"
        )
    TASKS[cls.name] = cls
    return cls


class Task:
    """One built-in task. Subclasses set ``name``, ``Config`` and build the parts."""

    name = ""
    description = ""
    Config: ClassVar[type[TaskConfig]] = TaskConfig
    metrics = ["accuracy"]

    def __init__(self, config: TaskConfig | Mapping | None = None) -> None:
        """``config``: a ``Config``, or a mapping of options (converted and checked as
        ``--set`` values are; None values keep the default)."""
        if isinstance(config, TaskConfig):
            if not isinstance(config, self.Config):
                raise TypeError(
                    f"{self.name}: expected a {self.Config.__name__}, got {type(config).__name__}"
                )
            check_values(config, self.name)
        else:
            config = make_config(self.Config, self.name, ("", config or {}))
        self.config = config

    def build_optimizer(self, params):
        """The config's optimizer with its lr and arguments."""
        return build_optimizer(self.config, params)

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


def task_class(name: str) -> type[Task]:
    if name not in TASKS:
        raise ValueError(f"unknown task '{name}' (choose from {', '.join(sorted(TASKS))})")
    return TASKS[name]


def get_task(name: str, config: TaskConfig | Mapping | None = None) -> Task:
    return task_class(name)(config)


def task_config(
    name: str, *layers: tuple[str, Mapping], saved: Mapping | None = None
) -> TaskConfig:
    """Task ``name``'s config from a checkpoint's ``saved`` one and (source, values) layers
    (``make_config``)."""
    return make_config(task_class(name).Config, name, *layers, saved=saved)


def save_run(
    path: str,
    task: Task,
    model,
    optimizer,
    epoch: int,
    loader=None,
    scheduler=None,
    history: list | None = None,
) -> None:
    """``history`` is every finished epoch's logs so far (a list of dicts), kept in the
    checkpoint so that a resumed run continues, and plots, the whole trajectory."""
    from nerve.train import save_checkpoint

    save_checkpoint(
        path,
        model,
        optimizer,
        scheduler,
        epoch=epoch,
        train_loader=loader,
        task=task.name,
        config=json.dumps(task.config.to_dict()),
        extra=json.dumps(task.extra_state()),
        history=json.dumps(history or []),
    )


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
    return {
        "task": _text(obj["task"]),
        "config": json.loads(_text(obj["config"])),
        "history": history,
    }


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
    name = _text(obj["task"])
    task = get_task(name, task_config(name, saved=json.loads(_text(obj["config"]))))
    task.load_extra_state(json.loads(_text(obj.get("extra", "{}"))))
    model = task.build_model().to(device)
    model.load_state_dict(obj["model"])
    return task, model, obj


def _text(v) -> str:
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    return v.decode() if isinstance(v, bytes) else str(v)
