"""Parameter: a leaf Tensor that a Module registers as learnable."""

from __future__ import annotations

import numpy as np

from nerve.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module's learnable weight; requires grad by default.

    It shares memory with the data it is made from, as PyTorch's does.
    """

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, np.float32)
        self._init_leaf(data._data if isinstance(data, Tensor) else np.asarray(data), requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Marks a tensor to be registered as a module buffer when assigned as an attribute."""

    def __init__(self, data=None, persistent: bool = True) -> None:
        super().__init__(data if data is not None else np.empty(0, np.float32))
        if isinstance(data, Tensor):
            self._data = data._data
        self.persistent = persistent


def __getattr__(name: str):
    # torch.nn.parameter's lazy placeholders live in nerve/nn/lazy.py, which imports this file
    if name in ("UninitializedParameter", "UninitializedBuffer"):
        from nerve.nn import lazy

        return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
