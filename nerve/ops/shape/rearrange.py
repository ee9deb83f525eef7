"""Shape ops: they move elements around, so each backward moves δ back."""

from __future__ import annotations

import itertools

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import repeat_each
from nerve.dtypes import result_type
from nerve.ops.shape.indexing import GetItem, IndexSelect
from nerve.ops.shape.padding import Pad, PadEdge, pad  # noqa: F401  (nerve.pad, older imports)
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as check

__all__ = [
    "broadcast_to", "cat", "chunk", "concat", "concatenate", "expand", "flatten", "flip",
    "fliplr", "flipud", "permute", "repeat", "repeat_interleave", "reshape", "roll", "split",
    "squeeze", "stack", "swapaxes", "t", "transpose", "unbind", "unflatten", "unsqueeze",
]  # fmt: skip


class Reshape(Function):
    """y = x with a new shape (same elements in row-major order);  ∂L/∂x = δ reshaped back"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is
    _view_op = True  # its output may be the input's memory: nerve/autograd/versions.py

    def forward(self, x, shape=()):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"shape '{list(shape)}' is invalid for input of size {x.size}"
            ) from None

    def backward(self, dy):
        return dy.reshape(self.shape)

    def backward_graph(self, dy):
        return Reshape.apply(dy, shape=self.shape)


class Permute(Function):
    """y = x with its axes reordered;  ∂L/∂x = δ with the inverse order"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is
    _view_op = True  # its output may be the input's memory: nerve/autograd/versions.py

    def forward(self, x, dims=()):
        self.inverse = tuple(sorted(range(len(dims)), key=list(dims).__getitem__))
        return x.transpose(dims)

    def backward(self, dy):
        return dy.transpose(self.inverse)

    def backward_graph(self, dy):
        return Permute.apply(dy, dims=self.inverse)


class Expand(Function):
    """y = x broadcast to a larger shape (a view);  ∂L/∂x = δ summed over the new axes
    (the engine does that sum, as for any broadcast)."""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is
    _view_op = True  # its output may be the input's memory: nerve/autograd/versions.py

    def forward(self, x, shape=()):
        return array_module(x).broadcast_to(x, shape)

    def backward(self, dy):
        return dy

    def backward_graph(self, dy):
        return dy


class Cat(Function):
    """y = [x₁, x₂, …] joined along ``dim``;  ∂L/∂xₖ = the k-th slice of δ"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is

    def forward(self, *xs, dim=0):
        self.dim = dim
        self.bounds = list(itertools.accumulate(x.shape[dim] for x in xs))[:-1]
        return array_module(xs[0]).concatenate(_same_dtype(xs), axis=dim)

    def backward(self, dy):
        return tuple(array_module(dy).split(dy, self.bounds, axis=self.dim))

    def backward_graph(self, dy):
        cuts = [0, *self.bounds, dy.shape[self.dim]]
        lead = (slice(None),) * self.dim
        return tuple(
            GetItem.apply(dy, index=lead + (slice(lo, hi),)) for lo, hi in zip(cuts[:-1], cuts[1:])
        )


class Stack(Function):
    """y = [x₁, x₂, …] stacked along a new axis ``dim``;  ∂L/∂xₖ = δ[…, k, …]"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is

    def forward(self, *xs, dim=0):
        self.dim = dim
        return array_module(xs[0]).stack(_same_dtype(xs), axis=dim)

    def backward(self, dy):
        return tuple(array_module(dy).moveaxis(dy, self.dim, 0))

    def backward_graph(self, dy):
        lead = (slice(None),) * self.dim
        return tuple(GetItem.apply(dy, index=lead + (k,)) for k in range(dy.shape[self.dim]))


class Split(Function):
    """(y₁, y₂, …) = consecutive pieces of x along ``dim`` (views);
    ∂L/∂x = the pieces' gradients joined (zeros for pieces without one)"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is
    _view_op = True  # its output may be the input's memory: nerve/autograd/versions.py

    def forward(self, x, sizes=(), dim=0):
        self.dim, self.dtype = dim, x.dtype
        self.shapes = []
        bounds = list(itertools.accumulate(sizes))[:-1]
        pieces = tuple(array_module(x).split(x, bounds, axis=dim))
        self.shapes = [p.shape for p in pieces]
        return pieces

    def backward(self, *dys):
        xp = array_module(next(d for d in dys if d is not None))
        dys = [xp.zeros(s, self.dtype) if d is None else d for d, s in zip(dys, self.shapes)]
        return xp.concatenate(dys, axis=self.dim)

    def backward_graph(self, *dys):
        xp = array_module(next(d for d in dys if d is not None)._data)
        dys = [xp.zeros(s, self.dtype) if d is None else d for d, s in zip(dys, self.shapes)]
        return Cat.apply(*dys, dim=self.dim)


def _same_dtype(xs):
    """PyTorch's promotion across the inputs (int64 with float32 is float32, not float64)."""
    first = xs[0].dtype
    if all(x.dtype == first for x in xs):
        return xs
    dtype = result_type(*xs)
    return [x.astype(dtype, copy=False) for x in xs]


def _dim(d, ndim, op):
    return check(d, ndim, op)


def reshape(input, *shape):  # noqa: A002 - PyTorch's argument names
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if shape == input._data.shape:
        return input
    return Reshape.apply(input, shape=shape)


def view(input, *shape):  # noqa: A002 - PyTorch's argument names
    """``reshape`` where the new shape needs no copy, as PyTorch's ``view``: the result
    shares the input's memory, and a layout that cannot give the shape (a transposed
    tensor flattened, say) raises instead of silently copying."""
    out = reshape(input, *shape)
    shares = array_module(input._data).may_share_memory
    if out is not input and out._data.size > 1 and not shares(out._data, input._data):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
            f"(view of shape {tuple(input.shape)} with strides {input.stride()} as "
            f"{tuple(out.shape)})"
        )
    return out


def flatten(input, start_dim=0, end_dim=-1):
    s = input.shape
    if not s:
        return reshape(input, 1)
    a, b = _dim(start_dim, len(s), "flatten"), _dim(end_dim, len(s), "flatten")
    if a > b:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return reshape(input, s[:a] + (-1,) + s[b + 1 :])


def unflatten(input, dim, sizes):
    s = input.shape
    d = _dim(dim, len(s), "unflatten")
    return reshape(input, s[:d] + tuple(sizes) + s[d + 1 :])


def squeeze(input, dim=None):
    s = input.shape
    if dim is None:
        return reshape(input, tuple(n for n in s if n != 1))
    dims = {_dim(d, len(s), "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
    return reshape(input, tuple(n for i, n in enumerate(s) if not (i in dims and n == 1)))


def unsqueeze(input, dim):
    s = input.shape
    d = _dim(dim, len(s) + 1, "unsqueeze")
    return reshape(input, s[:d] + (1,) + s[d:])


def permute(input, *dims):
    if len(dims) == 1 and isinstance(dims[0], tuple | list):
        dims = tuple(dims[0])
    n = input.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute: number of dims don't match: got {len(dims)} for a tensor of {n} dims"
        )
    dims = tuple(_dim(d, n, "permute") for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError(f"permute: repeated dim in {dims}")
    return Permute.apply(input, dims=dims)


def transpose(input, dim0, dim1):
    n = input.ndim
    if n == 0:
        return input
    order = list(range(n))
    a, b = _dim(dim0, n, "transpose"), _dim(dim1, n, "transpose")
    order[a], order[b] = order[b], order[a]
    return Permute.apply(input, dims=tuple(order))


swapaxes = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def expand(input, *sizes):
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = tuple(sizes[0])
    s = input.shape
    if len(sizes) < len(s):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater "
            f"or equal to the number of dimensions in the tensor ({len(s)})"
        )
    lead = len(sizes) - len(s)
    shape = tuple(s[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    for i, n in enumerate(s):
        if n != 1 and n != shape[lead + i]:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({shape[lead + i]}) must "
                f"match the existing size ({n}) at non-singleton dimension {i}. "
                f"Target sizes: {list(sizes)}. Tensor sizes: {list(s)}"
            )
    return Expand.apply(input, shape=shape)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


def repeat(input, *sizes):
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = tuple(sizes[0])
    s = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    # (s0, s1) -> (1, s0, 1, s1) -> (r0, s0, r1, s1) -> (r0*s0, r1*s1)
    x = reshape(input, tuple(v for n in s for v in (1, n)))
    x = expand(x, tuple(v for r, n in zip(sizes, s) for v in (r, n)))
    return reshape(x, tuple(r * n for r, n in zip(sizes, s)))


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not hasattr(x, "_data"):
            raise TypeError(
                f"cat(): expected Tensor as element {i} in argument 0, but got {type(x).__name__}"
            )
        if x.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    tensors = [x for x in tensors if not (x.ndim == 1 and x.shape[0] == 0)] or tensors[:1]
    ref = tensors[0]
    d = _dim(dim, ref.ndim, "cat")
    for x in tensors[1:]:
        if x.ndim != ref.ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, ref.shape)) if i != d
        ):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {d}: got "
                f"shapes {tuple(ref.shape)} and {tuple(x.shape)}"
            )
    return Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    for x in tensors[1:]:
        if x.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got "
                f"{tuple(tensors[0].shape)} and {tuple(x.shape)}"
            )
    return Stack.apply(*tensors, dim=_dim(dim, tensors[0].ndim + 1, "stack"))


def split(tensor, split_size_or_sections, dim=0):
    d = _dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} "
                f"(input tensor's size at dimension {d}), but got {sizes}"
            )
    out = Split.apply(tensor, sizes=tuple(sizes), dim=d)
    return out if isinstance(out, tuple) else (out,)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_dim(dim, input.ndim, "chunk")]
    return split(input, max(1, -(-n // chunks)), dim)


def unbind(input, dim=0):
    d = _dim(dim, input.ndim, "unbind")
    return tuple(squeeze(p, d) for p in split(input, 1, d))


# ----- reorderings and triangles: composites of GetItem, IndexSelect, Where ------------
def flip(input, dims):
    """Reverse the order of the entries along ``dims`` (a view through negative strides)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = {_dim(d, input.ndim, "flip") for d in dims}
    if len(axes) != len(dims):
        raise RuntimeError(f"flip: dims has duplicates, original flip dims={list(dims)}")
    return input[
        tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(input.ndim))
    ]


def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError("fliplr: Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d.")
    return flip(input, 0)


def roll(input, shifts, dims=None):
    """Shift entries cyclically by ``shifts`` along ``dims`` (the flattened tensor if None)."""
    if dims is None:
        if not isinstance(shifts, int) and len(shifts) != 1:
            raise RuntimeError("roll: with dims=None, shifts must be a single number")
        flat = reshape(input, -1)
        return reshape(
            roll(flat, shifts if isinstance(shifts, int) else shifts[0], 0), tuple(input.shape)
        )
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}"
        )
    x = input
    for s, d in zip(shifts, dims):
        d = _dim(d, x.ndim, "roll")
        n = x.shape[d]
        if n and s % n:
            # y[i] = x[(i - s) mod n]
            x = IndexSelect.apply(x, index=(array_module(x._data).arange(n) - s) % n, dim=d)
    return x


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each entry ``repeats`` times (an int, or one count per entry) along ``dim``
    (of the flattened input if None). With only an integer tensor of counts, returns
    the indices repeated by those counts."""
    if repeats is None:  # repeat_interleave(counts) -> 0 repeated counts[0] times, ...
        counts = input._data
        xp = array_module(counts)
        return type(input)._wrap(repeat_each(xp.arange(counts.size), counts.reshape(-1)))
    x = reshape(input, -1) if dim is None else input
    d = 0 if dim is None else _dim(dim, x.ndim, "repeat_interleave")
    xp = array_module(x._data)
    reps = repeats._data if hasattr(repeats, "_data") else xp.asarray(repeats)
    n = x.shape[d] if x.ndim else 1
    if reps.ndim and reps.size not in (1, n):
        raise RuntimeError(
            f"repeat_interleave: repeats must have the same size as input "
            f"along dim {d} ({n}), got {reps.size}"
        )
    if (reps < 0).any():
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    index = repeat_each(xp.arange(n), reps.reshape(-1) if reps.ndim else int(reps))
    if x.ndim == 0:
        x = reshape(x, 1)
    return IndexSelect.apply(x, index=index, dim=d)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    chunk,
    expand,
    flatten,
    flip,
    fliplr,
    flipud,
    permute,
    repeat,
    repeat_interleave,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    view,
)
