"""``nerve.nn.functional`` is ``nerve.functional`` (PyTorch's import path): the names of
its ``__all__``, which nerve/functional/__init__.py builds from the op families'."""

from nerve.functional import *  # noqa: F403
from nerve.functional import __all__  # noqa: F401
