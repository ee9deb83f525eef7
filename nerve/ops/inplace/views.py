"""In-place writes to a view in a graph: PyTorch's CopySlices.

``y = x * 1; v = y[0]; v.relu_()`` changes y (v is y's memory), so y gets a new node, as
in PyTorch: the write's result is put into the memory, and

    y₁ = CopySlices(y₀, r):  y₁ = y₀ with the view's places replaced by r,
        ∂L/∂y₀ = δ with the view's places zeroed,   ∂L/∂r = δ at the view's places,

where r = op(v₀) is computed out of place from v₀ = AsStrided(y₀), a copy of the view's
old values (so that op's own backward keeps values nothing overwrites). v itself becomes
AsStrided(y₁), the view of the new version. Which places of the base a view covers is
read from the memory layout: the base's elements are numbered in C order, laid over its
memory with the base's strides, and read back with the view's (:func:`positions`); an
integer array of the view's shape, so a gradient array of the base's shape maps onto it
with one gather or scatter whatever chain of views (slices, transposes, reshapes) made v.
"""

from __future__ import annotations

import math

from nerve.autograd import versions
from nerve.autograd.function import Function
from nerve.autograd.grad_mode import enable_grad
from nerve.backend import array_module, same_module
from nerve.backend.arrayfns import scatter_add

__all__: list[str] = []

VIEW_OF_LEAF = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a "
    "single memory location. Please clone() the tensor before performing the operation."
)


def _layout(a) -> tuple:
    """(address, shape, byte strides, item size) of an array of any of nerve's modules."""
    host = getattr(a, "_a", a)  # the strict stand-in wraps a NumPy array
    face = getattr(host, "__array_interface__", None)
    ptr = face["data"][0] if face is not None else host.data.ptr
    return ptr, host.shape, host.strides, host.itemsize


def positions(view, base):
    """For each element of ``view`` (whose memory lies in ``base``'s), its index in
    ``base.reshape(-1)`` (C order), as an int array of the view's shape on base's device."""
    host = array_module()  # the layout is worked out on the host, whatever the device
    pb, shape_b, strides_b, isz = _layout(base)
    pv, shape_v, strides_v, _ = _layout(view)
    if not math.prod(shape_b):
        return same_module(host.zeros(shape_v, host.intp), base)
    lo = pb + sum(min(0, s * (n - 1)) for s, n in zip(strides_b, shape_b))
    hi = pb + sum(max(0, s * (n - 1)) for s, n in zip(strides_b, shape_b)) + isz
    cells = host.full((hi - lo) // isz, -1, host.intp)
    step = cells.itemsize

    def laid(start, shape, strides):
        return host.lib.stride_tricks.as_strided(
            cells[(start - lo) // isz :], shape, [s // isz * step for s in strides]
        )

    laid(pb, shape_b, strides_b)[...] = host.arange(math.prod(shape_b)).reshape(shape_b)
    pos = laid(pv, shape_v, strides_v).copy()
    if pos.size and (pos.min() < 0 or host.unique(pos).size != pos.size):
        raise RuntimeError(OVERLAP)  # an expanded view: one place written several times
    return same_module(pos, base)


class AsStrided(Function):
    """y = the places ``pos`` of x (x.reshape(-1)[pos], a copy);
    ∂L/∂x = δ scattered back to those places (summed where a place repeats, as under expand)"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is

    def forward(self, x, pos=None):
        self.shape, self.pos = x.shape, pos
        return x.reshape(-1)[pos]

    def backward(self, dy):
        dx = array_module(dy).zeros(math.prod(self.shape), dy.dtype)
        scatter_add(dx, self.pos, dy)
        return dx.reshape(self.shape)

    def backward_graph(self, dy):
        return AsStridedGrad.apply(dy, shape=self.shape, pos=self.pos)


class AsStridedGrad(Function):
    """The adjoint of AsStrided (its double backward): y = zeros(shape) with
    y.reshape(-1)[pos] += x;  ∂L/∂x = δ.reshape(-1)[pos]"""

    def forward(self, dy, shape=(), pos=None):
        self.pos = pos
        dx = array_module(dy).zeros(math.prod(shape), dy.dtype)
        scatter_add(dx, pos, dy)
        return dx.reshape(shape)

    def backward(self, g):
        return g.reshape(-1)[self.pos]

    def backward_graph(self, g):
        return AsStrided.apply(g, pos=self.pos)


class CopySlices(Function):
    """y = x with the places ``pos`` replaced by r (x's memory already holds them: the
    forward returns it); ∂L/∂x = δ with those places zeroed, ∂L/∂r = δ at those places."""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is

    def forward(self, x, r, pos=None):
        self.pos = pos
        return x

    def backward(self, dy):
        dx = dr = None
        if self.needs_input_grad[0]:
            dx = dy.copy()  # C order, so reshape(-1) is a view
            dx.reshape(-1)[self.pos] = 0
        if self.needs_input_grad[1]:
            dr = dy.reshape(-1)[self.pos]
        return dx, dr

    def backward_graph(self, dy):
        dx = dr = None
        if self.needs_input_grad[0]:
            keep = array_module(dy._data).ones(dy.shape, dy.dtype)
            keep.reshape(-1)[self.pos] = 0
            dx = dy * keep
        if self.needs_input_grad[1]:
            dr = AsStrided.apply(dy, pos=self.pos)
        return dx, dr


def fresh_view(view, base):
    """``view`` as AsStrided(base): a node over the version of base a later op saw."""
    with enable_grad():
        return AsStrided.apply(base, pos=positions(view._data, base._data))


versions.regenerate_view[0] = fresh_view
