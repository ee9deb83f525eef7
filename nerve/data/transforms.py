"""Transforms: callables applied to samples or whole arrays (input normalisation).

``Normalize`` follows torchvision (per channel of a ``(..., C, H, W)`` tensor);
``Standardize`` learns per-feature mean and standard deviation from the training
split only, so no statistic of the test data leaks into the model.
"""

from __future__ import annotations

import numpy as np

from nerve.dtypes import is_floating
from nerve.tensor import Tensor


class Compose:
    """Apply the transforms one after the other."""

    def __init__(self, transforms: list) -> None:
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class Lambda:
    """Wrap any function of one argument as a transform."""

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor:
    """A NumPy image ``(H, W)`` or ``(H, W, C)`` to a Tensor ``(C, H, W)``.

    uint8 images become float32 scaled from 0..255 to [0, 1]; other dtypes keep
    their dtype and values, as torchvision's ToTensor does for arrays.
    """

    def __call__(self, pic) -> Tensor:
        arr = pic._data if isinstance(pic, Tensor) else pic
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"ToTensor: pic should be a NumPy array, got {type(pic).__name__}")
        if arr.ndim not in (2, 3):
            raise ValueError(
                f"ToTensor: pic should be 2 or 3 dimensional, got {arr.ndim} "
                f"dimensions (shape {arr.shape})"
            )
        if arr.ndim == 2:
            arr = arr[:, :, None]
        out = np.ascontiguousarray(arr.transpose(2, 0, 1))  # (H, W, C) -> (C, H, W)
        if out.dtype == np.uint8:
            return Tensor._wrap(out.astype(np.float32) / np.float32(255))
        return Tensor._wrap(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """output[c] = (input[c] - mean[c]) / std[c] for each channel c of ``(..., C, H, W)``.

    Gradients flow through it (it is built from Tensor arithmetic).
    """

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"Normalize: input should be a nerve Tensor, got {type(tensor).__name__}"
            )
        if not tensor.is_floating_point():
            raise TypeError(f"Normalize: input tensor should be a float tensor, got {tensor.dtype}")
        if tensor.ndim < 3:
            raise ValueError(
                "Normalize: expected tensor to be a tensor image of size "
                f"(..., C, H, W), got tensor.size() = {tuple(tensor.shape)}"
            )
        mean = _channels(self.mean, tensor.dtype)
        std = _channels(self.std, tensor.dtype)
        if (std == 0).any():
            raise ValueError(
                f"Normalize: std evaluated to zero after conversion to "
                f"{tensor.dtype}, leading to division by zero"
            )
        c = tensor.shape[-3]
        if mean.size not in (1, c) or std.size not in (1, c):
            raise RuntimeError(
                f"Normalize: mean has {mean.size} and std {std.size} values "
                f"for an input with {c} channels"
            )
        shape = (-1, 1, 1)
        if self.inplace and not tensor.requires_grad:
            tensor._data -= mean.reshape(shape)
            tensor._data /= std.reshape(shape)
            return tensor
        return (tensor - Tensor._wrap(mean.reshape(shape))) / Tensor._wrap(std.reshape(shape))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Standardize:
    """z = (x - mean) / std per feature, with mean and std fitted on training data.

    ``fit(train_x)`` reduces over ``dim`` (the sample dimension by default; a tuple
    reduces over several, e.g. ``(0, 2, 3)`` for per-channel image statistics). A
    feature that is constant in the training data (std below ``eps``) gets std 1,
    so it maps to 0 instead of dividing by zero.
    """

    def __init__(self, dim: int | tuple = 0, eps: float = 1e-8) -> None:
        self.dim, self.eps = dim, eps
        self.mean: Tensor | None = None
        self.std: Tensor | None = None

    def fit(self, x) -> Standardize:
        arr = _array(x).astype(np.float64)  # float64 sums: no drift over many samples
        mean = arr.mean(axis=self.dim, keepdims=True)
        std = arr.std(axis=self.dim, keepdims=True)
        std[std < self.eps] = 1.0
        dtype = _array(x).dtype if is_floating(_array(x).dtype) else np.float32
        self.mean = Tensor._wrap(mean.astype(dtype))
        self.std = Tensor._wrap(std.astype(dtype))
        return self

    def transform(self, x):
        if self.mean is None:
            raise RuntimeError("Standardize: call fit(train_x) before transforming data")
        arr = _array(x)
        mean, std = self.mean, self.std
        if arr.ndim == mean.ndim - 1 and self.dim == 0:  # one sample, e.g. inside a Dataset
            mean, std = Tensor._wrap(mean._data[0]), Tensor._wrap(std._data[0])
        if arr.ndim != mean.ndim or any(a != b and b != 1 for a, b in zip(arr.shape, mean.shape)):
            raise RuntimeError(
                f"Standardize: fitted on data of shape (N, ...) matching "
                f"{tuple(self.mean.shape)}, got shape {tuple(arr.shape)}"
            )
        if isinstance(x, Tensor):
            x = x if x.is_floating_point() else x.to(mean.dtype)
            return (x - mean) / std
        return (arr - mean._data) / std._data

    __call__ = transform

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def state_dict(self) -> dict:
        return {"mean": self.mean, "std": self.std}

    def load_state_dict(self, state: dict) -> None:
        self.mean, self.std = state["mean"], state["std"]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, eps={self.eps})"


def _channels(values, dtype) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values._data
    return np.asarray(values, dtype=dtype).reshape(-1)


def _array(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"Standardize: expected a Tensor or NumPy array, got {type(x).__name__}")
