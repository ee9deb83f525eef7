"""``nerve.nn.functional`` is ``nerve.functional`` (PyTorch's import path)."""

from nerve.functional import *  # noqa: F403
from nerve.functional import __dict__ as _all

globals().update({k: v for k, v in _all.items() if not k.startswith("__")})
