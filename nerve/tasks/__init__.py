"""Built-in tasks for the ``nerve`` command (digits-mlp, digits-cnn, charlm, ...).

A task is a ``Task`` subclass registered with ``@register``, with a ``Config`` dataclass
(on ``TaskConfig``, fields made by ``option``) that declares its options."""

from nerve.tasks import charlm, digits, reber  # noqa: F401  (registers the tasks)
from nerve.tasks.base import TASKS, Task, get_task, open_run, register, task_config
from nerve.tasks.config import ConfigError, TaskConfig, option
from nerve.tasks.runner import run_training

__all__ = [
    "TASKS",
    "ConfigError",
    "Task",
    "TaskConfig",
    "get_task",
    "open_run",
    "option",
    "register",
    "run_training",
    "task_config",
]
