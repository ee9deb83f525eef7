"""Shape ops, indexing and embedding as ONNX nodes."""

from __future__ import annotations

import numpy as np

from nerve.onnx.registry import register
from nerve.ops.nn import embedding as emb
from nerve.ops.shape import indexing as ix
from nerve.ops.shape import rearrange as sh

_BIG = np.iinfo(np.int64).max


@register(sh.Reshape)
def _reshape(b, inputs, params, out):
    """With dynamic axes: the dims that change with them computed (``shape_of``);
    otherwise the traced shape, a leading run of unchanged dims written as 0 (copy) and,
    if no -1 is present, the first changed dim as -1."""
    x, target = inputs[0], list(out.shape)
    alt = b.alt_shapes()
    if alt is not None:
        return [
            b.one(
                "Reshape",
                [b.value(x), b.shape_of(b.value(x), x.shape, alt[0][0], target, alt[1][0])],
            )
        ]
    shape = list(params.get("shape", target))
    shape = list(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
    dims = [int(d) for d in shape] if len(shape) == len(target) else target
    k = 0
    while k < min(len(dims), x.ndim) and dims[k] == x.shape[k]:
        dims[k] = 0
        k += 1
    if -1 not in dims and k < len(dims):
        dims[k] = -1
    return [b.one("Reshape", [b.value(x), b.ints(dims)])]


@register(sh.Permute)
def _permute(b, inputs, params, out):
    return [b.one("Transpose", [b.value(inputs[0])], perm=[int(d) for d in params["dims"]])]


@register(sh.Expand)
def _expand(b, inputs, params, out):
    x = inputs[0]
    shape, alt = list(out.shape), b.alt_shapes()
    lead = len(shape) - x.ndim  # dims that x already has keep their size (1 = follow x)
    dims = [1 if i >= lead and x.shape[i - lead] == s else s for i, s in enumerate(shape)]
    if alt is not None and any(d != 1 and d != a for d, a in zip(dims, alt[1][0])):
        raise b.fail(
            "expand to a size that follows a dynamic axis (expand_as a traced "
            "tensor by broadcasting instead, or export with fixed axes)"
        )
    return [b.one("Expand", [b.value(x), b.ints(dims)])]


@register(sh.Cat)
def _cat(b, inputs, params, out):
    return [b.one("Concat", [b.value(x) for x in inputs], axis=int(params.get("dim", 0)))]


@register(sh.Stack)
def _stack(b, inputs, params, out):
    d = int(params.get("dim", 0))
    return [b.one("Concat", [b.unsqueeze(b.value(x), [d]) for x in inputs], axis=d)]


@register(sh.Split)
def _split(b, inputs, params, out):
    sizes = [int(s) for s in params["sizes"]]
    return b.node(
        "Split",
        [b.value(inputs[0]), b.ints(sizes, "split")],
        len(sizes),
        axis=int(params.get("dim", 0)),
    )


@register(ix.GetItem)
def _getitem(b, inputs, params, out):
    """Basic indexing (ints, slices with positive step, None, Ellipsis) as Slice,
    Squeeze and Unsqueeze; an integer array on one axis as Gather."""
    x, index = inputs[0], params.get("index")
    index = index if isinstance(index, tuple) else (index,)
    if sum(i is Ellipsis for i in index) > 1:
        raise b.fail("indexing with more than one Ellipsis")
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (x.ndim - n_real) + index[at + 1 :]
    y, axis, starts, ends, axes, steps, squeeze, new = b.value(x), 0, [], [], [], [], [], []
    out_axis, gathers = 0, []
    for i in index:
        if i is None:
            new.append(out_axis)
            out_axis += 1
            continue
        if isinstance(i, slice):
            start, stop, step = i.start, i.stop, i.step or 1
            if step < 0:
                raise b.fail("indexing with a negative step")
            if (start, stop, step) != (None, None, 1):
                starts.append(0 if start is None else int(start))
                ends.append(_BIG if stop is None else int(stop))
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        elif isinstance(i, int | np.integer):
            starts.append(int(i))
            ends.append(int(i) + 1 if int(i) != -1 else _BIG)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        elif isinstance(i, np.ndarray) and i.dtype.kind in "iu" and len(gathers) == 0:
            gathers.append((axis, i))
            out_axis += i.ndim
        else:
            raise b.fail(
                f"indexing with {type(i).__name__} (only ints, slices, None, "
                "Ellipsis and one integer array)"
            )
        axis += 1
    if starts:
        y = b.one(
            "Slice",
            [
                y,
                b.ints(starts, "starts"),
                b.ints(ends, "ends"),
                b.ints(axes, "axes"),
                b.ints(steps, "steps"),
            ],
        )
    for ax, idx in gathers:
        y = b.one("Gather", [y, b.const(idx.astype(np.int64), "index")], axis=ax)
    if squeeze:
        y = b.squeeze(y, squeeze)
    if new:
        y = b.unsqueeze(y, new)
    return [y]


@register(ix.Gather)
def _gather(b, inputs, params, out):
    idx = b.const(np.asarray(params["index"], np.int64), "index")
    return [b.one("GatherElements", [b.value(inputs[0]), idx], axis=int(params.get("dim", 0)))]


@register(ix.IndexSelect)
def _index_select(b, inputs, params, out):
    idx = b.const(np.asarray(params["index"], np.int64), "index")
    return [b.one("Gather", [b.value(inputs[0]), idx], axis=int(params.get("dim", 0)))]


@register(emb.EmbeddingFn)
def _embedding(b, inputs, params, out):
    weight, indices = inputs[0], inputs[1]
    idx = b.value(indices)
    if getattr(indices, "dtype", None) is not None and str(indices._data.dtype) != "int64":
        idx = b.one("Cast", [idx], to=7)
    return [b.one("Gather", [b.value(weight), idx], axis=0)]
