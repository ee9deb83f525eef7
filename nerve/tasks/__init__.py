"""Built-in tasks for the ``nerve`` command (digits-mlp, digits-cnn, charlm, ...)."""

from nerve.tasks import charlm, digits, reber  # noqa: F401  (registers the tasks)
from nerve.tasks.base import TASKS, Task, get_task, open_run, register
from nerve.tasks.runner import run_training
