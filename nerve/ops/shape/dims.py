"""More shape ops: tiling, moving and splitting dims, stacking families, sliding windows,
grids and diagonal embeddings. Composites of reshape/permute/cat/getitem, except the
sliding-window view (Tensor.unfold), which is a Function of its own."""

from __future__ import annotations

import itertools
import math
import numbers

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module, arrayfns
from nerve.backend.windows import as_strided
from nerve.dtypes import float32, int64, is_floating, result_type
from nerve.ops.math.elementwise import need_tensors
from nerve.ops.reduce.scan import cumprod
from nerve.ops.shape import rearrange as S
from nerve.ops.shape.padding import pad
from nerve.ops.shape.rearrange_triangles import diag
from nerve.ops.shape.scatter import IndexAdd
from nerve.tensor import Size, ops_table
from nerve.tensor import wrap_dim as check

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
    "broadcast_tensors", "cartesian_prod", "column_stack", "combinations", "diag_embed",
    "diagflat", "diff", "dsplit", "dstack", "hsplit", "hstack", "meshgrid", "moveaxis",
    "movedim", "narrow", "narrow_copy", "ravel", "rot90", "row_stack", "select",
    "split_with_sizes", "swapdims", "tensor_split", "tile", "tril_indices", "triu_indices",
    "unravel_index", "vander", "vsplit", "vstack",
]  # fmt: skip


def _dim(d, ndim, op):
    return check(d, ndim, op)


def _seq(args):
    """f(a, b, c) or f([a, b, c]) -> [a, b, c]."""
    return list(args[0]) if len(args) == 1 and isinstance(args[0], list | tuple) else list(args)


class UnfoldDim(Function):
    """Tensor.unfold: y[…, i, …, k] = x[…, i·step + k, …] along ``dimension``, windows of
    ``size`` as a new last dim (a strided view);
    ∂L/∂x[…, j, …] = Σ over (i, k) with i·step + k = j of δ[…, i, …, k]"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is
    _view_op = True  # its output may be the input's memory: nerve/autograd/versions.py

    def forward(self, x, dim=0, size=1, step=1):
        self.shape, self.dim, self.size, self.step = x.shape, dim, size, step
        # (…, n, …) -> (…, (n - size) // step + 1, …, size), strides in bytes;
        # writable (aliasing x, as torch's view) only where windows do not overlap
        shape = list(x.shape)
        shape[dim] = (x.shape[dim] - size) // step + 1
        strides = list(x.strides)
        strides[dim] *= step
        return as_strided(
            x,
            tuple(shape) + (size,),
            tuple(strides) + (x.strides[dim],),
            writeable=step >= size and x.flags.writeable,
        )

    def backward(self, dy):
        xp = array_module(dy)
        dx = xp.zeros(self.shape, dy.dtype)
        nw = dy.shape[self.dim]
        moved = xp.moveaxis(dx, self.dim, 0)
        # one vectorised add per window offset k (a loop over the window, not the data)
        for k in range(self.size):
            moved[k : k + self.step * (nw - 1) + 1 : self.step] += xp.moveaxis(
                dy[..., k], self.dim, 0
            )
        return dx


def unfold(input, dimension, size, step):  # noqa: A002 - PyTorch's argument names
    """Tensor.unfold: all windows of ``size`` entries every ``step`` along ``dimension``."""
    x = input.reshape(1) if input.ndim == 0 else input
    d = _dim(dimension, x.ndim, "unfold")
    n = x.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    out = UnfoldDim.apply(x, dim=d, size=size, step=step)
    return out.reshape(out.shape[-1:]) if input.ndim == 0 else out


def tile(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return S.repeat(input, dims)


def ravel(input):
    return S.reshape(input, -1)


def movedim(input, source, destination):
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    n = input.ndim
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} "
            f"dims) should contain the same number of dims as destination "
            f"({list(dst)} dims)"
        )
    src = [_dim(d, n, "movedim") for d in src]
    dst = [_dim(d, n, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError("movedim: repeated dim in `source` or `destination`")
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src)
    order = [next(rest) if o is None else o for o in order]
    return input if order == list(range(n)) else S.permute(input, order)


moveaxis = movedim
swapdims = S.transpose


def narrow(input, dim, start, length):
    d = _dim(dim, input.ndim, "narrow")
    n = input.shape[d]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def narrow_copy(input, dim, start, length):
    return narrow(input, dim, start, length).clone()


def select(input, dim, index):
    d = _dim(dim, input.ndim, "select")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{list(input.shape)} at dimension {d}"
        )
    return input[(slice(None),) * d + (int(index),)]


def split_with_sizes(input, split_sizes, dim=0):
    return S.split(input, list(split_sizes), dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Pieces along ``dim``: n sections (the first n mod k one longer) or cut at indices."""
    d = _dim(dim, input.ndim, "tensor_split")
    n = input.shape[d]
    ios = indices_or_sections
    if hasattr(ios, "_data"):
        ios = ios._data.tolist() if ios.ndim else int(ios._data)
    if isinstance(ios, numbers.Integral):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, int(ios))
        sizes = [q + 1] * r + [q] * (int(ios) - r)
        cuts = list(itertools.accumulate(sizes))[:-1]
    else:
        cuts = [int(i) for i in ios]
    bounds = [0] + cuts + [n]
    pre = (slice(None),) * d
    return tuple(input[pre + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))


def _dsplit_like(op, input, ios, dim, min_ndim):
    if input.ndim < min_ndim:
        raise RuntimeError(
            f"torch.{op} requires a tensor with at least {min_ndim} dimension, "
            f"but got a tensor with {input.ndim} dimensions!"
        )
    if isinstance(ios, int) and input.shape[dim] % ios:
        raise RuntimeError(
            f"torch.{op} attempted to split along dimension {dim}, but the size "
            f"of the dimension {input.shape[dim]} is not divisible by the "
            f"split_size {ios}!"
        )
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    return _dsplit_like("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    return _dsplit_like("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _dsplit_like("dsplit", input, indices_or_sections, 2, 3)


def _atleast(shape_of, args):
    single = len(args) == 1 and not isinstance(args[0], list | tuple)
    need_tensors("atleast_nd", _seq(args))
    out = tuple(
        t if t.ndim >= len(shape_of((1,))) else S.reshape(t, shape_of(tuple(t.shape)))
        for t in _seq(args)
    )
    return out[0] if single else out


def atleast_1d(*tensors):
    return _atleast(lambda s: s or (1,), tensors)


def atleast_2d(*tensors):
    return _atleast(lambda s: (1,) * (2 - len(s)) + s, tensors)


def atleast_3d(*tensors):
    return _atleast(
        lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s), tensors
    )


def hstack(tensors):
    ts = [atleast_1d(t) for t in tensors]
    return S.cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    return S.cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return S.cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    return S.cat([S.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], 1)


def rot90(input, k=1, dims=(0, 1)):
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = (_dim(d, input.ndim, "rot90") for d in dims)
    if a == b:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}"
        )
    k %= 4
    if k == 1:
        return S.transpose(S.flip(input, b), a, b)
    if k == 2:
        return S.flip(input, (a, b))
    if k == 3:
        return S.transpose(S.flip(input, a), a, b)
    return input[...]


def broadcast_shapes(*shapes):
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(arrayfns.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(
            f"Shape mismatch: objects cannot be broadcast to a single shape: {shapes}"
        ) from None


def broadcast_tensors(*tensors):
    ts = need_tensors("broadcast_tensors", _seq(tensors))
    shape = arrayfns.broadcast_shapes(*(t.shape for t in ts))
    return tuple(t if tuple(t.shape) == shape else S.expand(t, shape) for t in ts)


def meshgrid(*tensors, indexing="ij"):
    ts = _seq(tensors)
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D"
            )
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    sizes = tuple(t.numel() for t in ts)
    out = [
        S.expand(S.reshape(t, tuple(-1 if i == j else 1 for j in range(len(ts)))), sizes)
        for i, t in enumerate(ts)
    ]
    if swap:  # the grids of the swapped inputs, handed back in the inputs' order
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors):
    ts = _seq(tensors)
    if len(ts) == 1:
        return ts[0]
    return S.stack([S.reshape(g, -1) for g in meshgrid(*ts)], 1)


def combinations(input, r=2, with_replacement=False):
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(array_module(input._data).empty(0, input.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = array_module(input._data).asarray(list(pick(range(input.shape[0]), r)), dtype=int64)
    idx = idx.reshape(-1, r)
    return input[idx]


def block_diag(*tensors):

    need_tensors("block_diag", tensors)
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    for i, t in enumerate(ts):
        if t.ndim != 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer "
                f"dimensions. Input {i} has {t.ndim} dimensions"
            )
    if not ts:
        return wrap(array_module().empty((1, 0), float32))
    dtype = result_type(*(t._data for t in ts))
    total = sum(t.shape[1] for t in ts)
    rows, left = [], 0
    for t in ts:
        w = t.shape[1]
        rows.append(pad(t.to(dtype), (left, total - left - w)))
        left += w
    return S.cat(rows, 0)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Each last-dim vector of ``input`` on the ``offset`` diagonal of a new matrix whose
    two dims are ``dim1`` and ``dim2`` of the output."""
    n = input.shape[-1] if input.ndim else 1
    m = n + abs(offset)
    nd = input.ndim + 1
    a, b = _dim(dim1, nd, "diag_embed"), _dim(dim2, nd, "diag_embed")
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = input.reshape(1) if input.ndim == 0 else input
    xp = array_module(x._data)
    rows = xp.arange(n) - min(offset, 0)
    # (…, n) added into (…, m*m) zeros at the diagonal's flat places -> (…, m, m)
    flat = IndexAdd.apply(
        xp.zeros(tuple(x.shape[:-1]) + (m * m,), x.dtype),
        x,
        index=rows * m + rows + offset,
        dim=x.ndim - 1,
    )
    return movedim(S.reshape(flat, tuple(x.shape[:-1]) + (m, m)), (-2, -1), (a, b))


def diagflat(input, offset=0):
    return diag(S.reshape(input, -1), offset)


def vander(x, N=None, increasing=False):  # noqa: N803 - PyTorch's argument name
    """Columns x^(N-1), …, x, 1 (reversed when increasing), by a cumulative product so that
    the gradient at x = 0 stays finite."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if n == 0:
        dt = x.dtype if (x.dtype.kind == "c" or is_floating(x.dtype)) else int64
        return wrap(array_module(x._data).empty((x.shape[0], 0), dt))
    ones = wrap(array_module(x._data).ones((x.shape[0], 1), x.dtype))
    cols = S.cat([ones, S.expand(S.reshape(x, (-1, 1)), (x.shape[0], n - 1))], 1)
    out = cumprod(cols, 1)
    return out if increasing else S.flip(out, 1)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    xp = arrayfns.namespace_for(device)
    r, c = xp.tril_indices(row, offset, col)
    return wrap(xp.stack([r, c]).astype(dtype or int64).reshape(2, -1))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    xp = arrayfns.namespace_for(device)
    r, c = xp.triu_indices(row, offset, col)
    return wrap(xp.stack([r, c]).astype(dtype or int64).reshape(2, -1))


def unravel_index(indices, shape):
    idx = indices._data if hasattr(indices, "_data") else array_module().asarray(indices)
    xp = array_module(idx)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {idx.dtype}")
    size = math.prod(shape)
    if idx.size and (idx.min() < -size or idx.max() >= size):  # a host sync, as torch's
        raise RuntimeError(
            "index out of bounds: indices must be in the range of the shape's "
            f"number of elements ({size})"
        )
    out = xp.unravel_index(xp.where(idx < 0, idx + size, idx), shape) if shape else ()
    return tuple(wrap(o.astype(int64)) for o in out)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along ``dim`` (logical xor for bool), after joining
    ``prepend`` and ``append``."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _dim(dim, input.ndim, "diff")
    parts = [p for p in (prepend, input, append) if p is not None]
    x = (
        S.cat(
            [
                p
                if p.ndim
                else S.expand(
                    S.reshape(p, (1,) * input.ndim), input.shape[:d] + (1,) + input.shape[d + 1 :]
                )
                for p in parts
            ],
            d,
        )
        if len(parts) > 1
        else input
    )
    pre = (slice(None),) * d
    for _ in range(n):
        if x.shape[d] == 0:
            break
        hi, lo = x[pre + (slice(1, None),)], x[pre + (slice(None, -1),)]
        x = wrap(hi._data ^ lo._data) if x.dtype.kind == "b" else hi - lo
    return x


def sum_to_size(input, *size):
    size = tuple(_seq(size))
    lead = input.ndim - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, input.shape[lead:])):
        raise RuntimeError(
            f"size {{{list(size)}}} is not expandable to size {{{list(input.shape)}}}."
        )
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(size) if s == 1 and input.shape[lead + i] != 1
    )
    x = input.sum(axes, keepdim=True) if axes else input
    return S.reshape(x, size)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    diag_embed,
    diagflat,
    diff,
    dsplit,
    hsplit,
    movedim,
    narrow,
    narrow_copy,
    ravel,
    rot90,
    select,
    split_with_sizes,
    sum_to_size,
    tensor_split,
    tile,
    unfold,
    vsplit,
)
