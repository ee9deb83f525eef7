"""ONNX's shape, indexing and reduction ops in nerve."""

from __future__ import annotations

import numpy as np

from nerve.onnx.import_registry import const, ints, op, positive_axis
from nerve.ops.shape.rearrange import cat
from nerve.tensor import Tensor

_BIG = 2**62


@op("Flatten")
def _flatten(x, a):
    t = x[0]
    axis = positive_axis(a.get("axis", 1), t.ndim)
    lead = int(np.prod(t.shape[:axis]))
    return t.reshape(lead, -1)


@op("Reshape")
def _reshape(x, a):
    t, shape = x[0], ints(x[1])
    if not a.get("allowzero", 0):
        shape = [t.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return t.reshape(*shape)


@op("Transpose")
def _transpose(x, a):
    perm = a.get("perm", list(range(x[0].ndim))[::-1])
    return x[0].permute(*perm)


@op("Concat")
def _concat(x, a):
    return cat([t for t in x if t is not None], dim=a["axis"])


@op("Squeeze")
def _squeeze(x, a):
    t = x[0]
    axes = ints(x[1]) if len(x) > 1 and x[1] is not None else a.get("axes")
    if axes is None:
        axes = [i for i, n in enumerate(t.shape) if n == 1]
    keep = [n for i, n in enumerate(t.shape) if i not in {positive_axis(v, t.ndim) for v in axes}]
    return t.reshape(*keep) if keep else t.reshape(())


@op("Unsqueeze")
def _unsqueeze(x, a):
    t = x[0]
    axes = ints(x[1]) if len(x) > 1 and x[1] is not None else a["axes"]
    n = t.ndim + len(axes)
    shape, src = [], iter(t.shape)
    axes = {positive_axis(v, n) for v in axes}
    for i in range(n):
        shape.append(1 if i in axes else next(src))
    return t.reshape(*shape)


@op("Shape")
def _shape(x, a):
    shape = np.asarray(x[0].shape, np.int64)
    return const(shape[a.get("start", 0) : a.get("end", len(shape))])


@op("Constant")
def _constant(x, a):
    for key in ("value", "value_float", "value_int", "value_floats", "value_ints"):
        if key in a:
            v = np.asarray(a[key])
            v = v.astype(np.float32) if v.dtype == np.float64 else v
            return const(v)
    raise ValueError(f"Constant with attributes {sorted(a)}")


@op("ConstantOfShape")
def _constant_of_shape(x, a):
    value = a.get("value", np.zeros(1, np.float32))
    return const(np.full(ints(x[0]), np.asarray(value).reshape(-1)[0], np.asarray(value).dtype))


@op("Expand")
def _expand(x, a):
    t, shape = x[0], ints(x[1])
    out = np.broadcast_shapes(tuple(t.shape), tuple(shape))
    return t.expand(*out) if tuple(out) != tuple(t.shape) else t


@op("Slice")
def _slice(x, a):
    t = x[0]
    starts, ends = ints(x[1]), ints(x[2])
    axes = ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(len(starts)))
    steps = ints(x[4]) if len(x) > 4 and x[4] is not None else [1] * len(starts)
    index = [slice(None)] * t.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        if st < 0:
            raise ValueError("Slice with a negative step")
        e = None if e >= _BIG else e
        index[positive_axis(ax, t.ndim)] = slice(s, e, st)
    return t[tuple(index)]


@op("Gather")
def _gather(x, a):
    t, idx = x[0], x[1]
    axis = positive_axis(a.get("axis", 0), t.ndim)
    raw = idx.numpy().astype(np.int64)
    raw = np.where(raw < 0, raw + t.shape[axis], raw)
    flat = Tensor.index_select(t, axis, const(raw.reshape(-1)))
    return flat.reshape(*t.shape[:axis], *raw.shape, *t.shape[axis + 1 :])


@op("GatherElements")
def _gather_elements(x, a):
    return Tensor.gather(x[0], a.get("axis", 0), const(x[1].numpy().astype(np.int64)))


@op("Split")
def _split(x, a):
    t, axis = x[0], positive_axis(a.get("axis", 0), x[0].ndim)
    sizes = ints(x[1]) if len(x) > 1 and x[1] is not None else a.get("split")
    if sizes is None:
        n = a.get("num_outputs")
        sizes = [t.shape[axis] // n] * n
    return tuple(Tensor.split(t, list(sizes), dim=axis))


def _reduce(fn):
    def run(x, a):
        t = x[0]
        axes = ints(x[1]) if len(x) > 1 and x[1] is not None else a.get("axes")
        keep = bool(a.get("keepdims", 1))
        if not axes:
            if a.get("noop_with_empty_axes", 0):
                return t
            axes = list(range(t.ndim))
        return fn(t, tuple(positive_axis(v, t.ndim) for v in axes), keep)

    return run


op("ReduceSum")(_reduce(lambda t, d, k: t.sum(dim=d, keepdim=k)))
op("ReduceMean")(_reduce(lambda t, d, k: t.mean(dim=d, keepdim=k)))
op("ReduceMax")(_reduce(lambda t, d, k: Tensor.amax(t, dim=d, keepdim=k)))
op("ReduceMin")(_reduce(lambda t, d, k: Tensor.amin(t, dim=d, keepdim=k)))
op("ReduceProd")(_reduce(lambda t, d, k: _prod(t, d, k)))
op("ReduceLogSumExp")(_reduce(lambda t, d, k: Tensor.logsumexp(t, dim=d, keepdim=k)))


def _prod(t, dims, keep):
    for d in sorted(dims, reverse=True):
        t = t.prod(dim=d, keepdim=keep)
    return t


@op("ArgMax")
def _argmax(x, a):
    y = np.argmax(x[0].numpy(), axis=a.get("axis", 0))
    return const(np.expand_dims(y, a.get("axis", 0)) if a.get("keepdims", 1) else y)
