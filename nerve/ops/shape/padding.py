"""Padding: constant borders, and the reflect / replicate / circular modes of F.pad."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.ops.linalg.linear_map import linear_op_graph
from nerve.ops.shape.indexing import GetItem

__all__ = ["pad"]


class Pad(Function):
    """y = x with constant borders;  ∂L/∂x = δ without the borders"""

    def forward(self, x, widths=(), value=0.0):
        xp = array_module(x)
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return xp.pad(x, widths, mode="constant", constant_values=value)

    def backward(self, dy):
        return dy[self.crop]

    def backward_graph(self, dy):
        return GetItem.apply(dy, index=self.crop)


class PadEdge(Function):
    """y = x padded by 'reflect', 'replicate' or 'circular' (widths ≥ 0 per axis);
    ∂L/∂x = δ with each border element's gradient added to the element it copies:
    reflect  (lo left):   ∂x[i] += δ[lo - i]      for i = 1..lo (mirror, edge not repeated)
    replicate:            ∂x[0] += Σ δ[left border], ∂x[n-1] += Σ δ[right border]
    circular:             ∂x[n - lo + i] += δ[i]  for i < lo, ∂x[i] += δ[lo + n + i] for i < hi
    The padding is separable, so backward folds one axis at a time, last padded first."""

    def forward(self, x, widths=(), mode="reflect"):
        xp = array_module(x)
        self.widths, self.mode = widths, mode
        return xp.pad(x, widths, mode=_NUMPY_PAD[mode])

    def backward(self, dy):
        g = dy
        for axis in reversed(range(dy.ndim)):
            lo, hi = self.widths[axis]
            if lo or hi:
                g = _fold_border(g, axis, lo, hi, self.mode)
        return g

    def backward_graph(self, dy):
        return linear_op_graph(self, dy, widths=self.widths, mode=self.mode)


def _fold_border(g, axis, lo, hi, mode):
    """The transpose of padding one axis by (lo, hi): the core with the borders added in."""
    xp = array_module(g)
    g = xp.moveaxis(g, axis, 0)
    n = g.shape[0] - lo - hi
    core = g[lo : lo + n].copy()
    left, right = g[:lo], g[lo + n :]
    if mode == "reflect":
        core[1 : lo + 1] += left[::-1]
        core[n - 1 - hi : n - 1] += right[::-1]
    elif mode == "replicate":
        core[0] += left.sum(axis=0)
        core[n - 1] += right.sum(axis=0)
    else:  # circular: lo, hi ≤ n
        core[n - lo :] += left
        core[:hi] += right
    return xp.moveaxis(core, 0, axis)


_NUMPY_PAD = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims; ``pad`` lists (left, right) from the last dim back.
    Negative widths crop first, in every mode, as in PyTorch."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: padding length must be even and at most 2*{input.ndim}, got {len(pad)}"
        )
    if mode != "constant":
        _check_edge_pad(input, pad, mode, value)
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if any(p < 0 for p in pad):
        crop = tuple(
            slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, input.shape)
        )
        return _pad(input[crop], tuple(max(p, 0) for p in pad), mode, value)
    if mode == "constant":
        return Pad.apply(input, widths=tuple(widths), value=0.0 if value is None else value)
    for d, (lo, hi) in enumerate(widths):
        n = input.shape[d]
        if mode == "reflect" and (lo or hi) and max(lo, hi) >= n:
            raise RuntimeError(
                f"pad: padding size should be less than the corresponding input "
                f"dimension in reflect mode, but got padding ({lo}, {hi}) at "
                f"dimension {d} of input {list(input.shape)}"
            )
        if mode == "circular" and max(lo, hi) > n:
            raise RuntimeError(
                f"pad: padding ({lo}, {hi}) at dimension {d} of input "
                f"{list(input.shape)} causes wrapping around more than once "
                f"in circular mode"
            )
        if mode == "replicate" and (lo or hi) and n == 0:
            raise RuntimeError(
                f"pad: cannot replicate-pad an empty dimension {d} of input {list(input.shape)}"
            )
    return PadEdge.apply(input, widths=tuple(widths), mode=mode)


def _check_edge_pad(input, pad, mode, value):
    """PyTorch's rules for the non-constant modes: k padded dims need a (k+1)- or (k+2)-D
    input (a batch and/or a channel dim in front), k ≤ 3, and no fill value."""
    if mode not in _NUMPY_PAD:
        raise NotImplementedError(
            f"pad: unrecognised padding mode '{mode}' (constant, reflect, replicate, circular)"
        )
    if value is not None and value != 0:
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if not 1 <= k <= 3 or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: padding size {len(pad)} is not supported for "
            f"{input.ndim}D input in {mode} mode; supported: 2D or 3D "
            f"input with padding size 2, 3D or 4D with 4, 4D or 5D with 6"
        )


_pad = pad  # the argument named pad hides the function inside it
