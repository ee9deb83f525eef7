"""Built-in tasks for the ``nerve`` command (digits-mlp, digits-cnn, charlm, ...)."""

from nerve.tasks import digits  # noqa: F401  (registers the tasks)
from nerve.tasks.base import TASKS, Task, get_task, open_run, register
from nerve.tasks.runner import run_training

try:  # the text tasks need the recurrent layers and the text datasets
    from nerve.tasks import charlm  # noqa: F401
except ImportError:  # pragma: no cover - only while those parts are missing
    pass
