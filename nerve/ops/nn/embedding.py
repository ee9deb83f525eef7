"""Embedding lookup (a table row per index) and embedding bags (rows summed, averaged or
max-pooled per bag of indices)."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module, as_array
from nerve.backend.arrayfns import reduceat, repeat_each
from nerve.ops.linalg.linear_map import LinearMap, frozen

__all__ = ["embedding", "embedding_bag"]

_MODES = ("sum", "mean", "max")


def _scatter_rows(idx, g, n: int, by_freq: bool = False):
    """dw[k] = Σ_{p: idx_p = k} g[p]  (divided by the count of k when ``by_freq``)."""
    xp = array_module(g)
    dw = xp.zeros((n, g.shape[1]), g.dtype)
    # sorted segment sums beat np.add.at by far for many repeated indices
    order = xp.argsort(idx, kind="stable")
    rows, starts, counts = xp.unique(idx[order], return_index=True, return_counts=True)
    if rows.size:
        sums = reduceat("add", g[order], starts)
        dw[rows] = sums / counts[:, None].astype(g.dtype) if by_freq else sums
    return dw


class EmbeddingFn(Function):
    """y[…, :] = W[idx[…], :]  for an integer index tensor of any shape.

    ∂L/∂W[k] = Σ over the positions where idx = k of δ (a scatter-add), divided by the
    number of those positions when ``scale_grad_by_freq``; the row ``padding_idx`` gets
    no gradient. The index takes no gradient.
    """

    def forward(self, weight, indices, padding_idx=None, scale_grad_by_freq=False):
        _check_indices("embedding", indices, weight.shape[0], IndexError)
        self.indices, self.shape, self.padding_idx = indices, weight.shape, padding_idx
        self.by_freq = scale_grad_by_freq
        return weight[indices]  # numpy's take along axis 0: (*idx, D)

    def backward(self, dy):
        n, d = self.shape
        dw = _scatter_rows(self.indices.reshape(-1) % n, dy.reshape(-1, d), n, self.by_freq)
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw, None

    def backward_graph(self, dy):
        """∂L/∂W = B δ (a scatter-add); Bᵀ reads the rows back, with B's row scaling."""
        twin, n = frozen(self), self.shape[0]
        flat = self.indices.reshape(-1) % n
        xp = array_module(dy)
        scale = xp.ones(n, dy.dtype)
        if self.by_freq:
            scale /= xp.maximum(xp.bincount(flat, minlength=n), 1)
        if self.padding_idx is not None:
            scale[self.padding_idx] = 0

        def rows(g):
            return (g * scale[:, None])[self.indices]

        return LinearMap.apply(dy, map=lambda d: twin.backward(d)[0], adjoint=rows), None


class EmbeddingBagFn(Function):
    """Bags of table rows reduced to one vector each. Bag b holds the positions P_b
    (padding entries left out); s are the per-sample weights (1 when not given):

    sum:  y[b] = Σ_{p∈P_b} s_p W[idx_p]      mean:  y[b] = (1/|P_b|) Σ_{p∈P_b} W[idx_p]
    max:  y[b, d] = max_{p∈P_b} W[idx_p, d]  (an empty bag gives zeros in every mode)

    Backward scatters δ = ∂L/∂y back to the rows that were read:
    sum/mean: ∂L/∂W[k] = Σ_{p: idx_p = k} c_p δ[bag_p] with c_p = s_p or 1/|P_bag_p|,
    max: ∂L/∂W[k, d] = Σ δ[b, d] over the bags whose maximum in column d came from row k,
    ∂L/∂s_p = δ[bag_p] · W[idx_p]. With scale_grad_by_freq each row's gradient is
    divided by the number of times its index was read.
    """

    def forward(self, weight, psw, idx, bag, keep, n_bags, mode, scale_grad_by_freq):
        d, xp = weight.shape[1], array_module(weight)
        rows = weight[idx]  # (L, D), the kept positions only
        if psw is not None:
            rows = rows * psw[keep][:, None]
        y = xp.zeros((n_bags, d), weight.dtype)
        # bag ids are sorted, so each bag is one contiguous run of positions
        new = xp.ones(bag.shape, dtype=bool)
        new[1:] = bag[1:] != bag[:-1]
        starts = xp.flatnonzero(new) if bag.size else bag
        bags = bag[starts]
        counts = xp.diff(starts, append=bag.size)
        if bag.size and mode == "max":
            y[bags] = reduceat("maximum", rows, starts)
            # the first position holding each maximum: (bags, D) row numbers
            pos = xp.where(rows == y[bag], xp.arange(bag.size)[:, None], bag.size)
            self.argmax = idx[reduceat("minimum", pos, starts)]
        elif bag.size:
            y[bags] = reduceat("add", rows, starts)
            if mode == "mean":
                y[bags] /= counts[:, None].astype(y.dtype)
        self.weight, self.psw, self.idx, self.bag, self.keep = weight, psw, idx, bag, keep
        self.bags, self.counts, self.mode, self.by_freq = bags, counts, mode, scale_grad_by_freq
        return y

    def backward(self, dy):
        (n, d), xp = self.weight.shape, array_module(dy)
        need_w, need_psw = self.needs_input_grad[0], self.needs_input_grad[1]
        dw = dpsw = None
        if need_w and self.mode == "max":
            if self.bag.size:
                cell = (self.argmax * d + xp.arange(d)).ravel()  # flat (row, column) cells
                dw = xp.bincount(cell, dy[self.bags].ravel(), n * d).reshape(n, d)
                dw = dw.astype(dy.dtype)
            else:
                dw = xp.zeros((n, d), dy.dtype)
        elif need_w:
            g = dy[self.bag]  # (L, D): each position's bag gradient
            if self.psw is not None:
                g = g * self.psw[self.keep][:, None]
            elif self.mode == "mean":
                g = g / repeat_each(self.counts, self.counts)[:, None].astype(dy.dtype)
            dw = _scatter_rows(self.idx, g, n, self.by_freq)
        if need_psw:
            dpsw = xp.zeros(self.keep.shape, dy.dtype)
            dpsw[self.keep] = xp.einsum("ld,ld->l", dy[self.bag], self.weight[self.idx])
        return dw, dpsw


def _check_indices(op: str, indices, n: int, error) -> None:
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: expected an integer index tensor (Long or Int), got dtype {indices.dtype}"
        )
    low = -n if error is IndexError else 0  # embedding_bag, like PyTorch, has no negatives
    if indices.size and (indices.min() < low or indices.max() >= n):
        raise error(
            f"{op}: index out of range in self (indices "
            f"{indices.min()}..{indices.max()}, table of {n} rows)"
        )


def _renorm_rows(weight, indices, max_norm: float, norm_type: float) -> None:
    """Rescale in place, without gradient, the rows read by ``indices`` whose
    ``norm_type``-norm exceeds ``max_norm`` down to norm ``max_norm`` (as PyTorch)."""
    w = weight._data
    xp = array_module(w)
    rows = xp.unique(indices) % w.shape[0]
    norms = xp.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``.

    With ``max_norm`` the rows read are first renormalised in place (see _renorm_rows)."""
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {tuple(weight.shape)}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    if max_norm is not None:
        idx = _raw(input)
        _check_indices("embedding", idx, weight.shape[0], IndexError)
        _renorm_rows(weight, idx, max_norm, norm_type)
    return EmbeddingFn.apply(
        weight, input, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq)
    )


def _raw(x):
    return x._data if hasattr(x, "_data") else as_array(x)


def _bag_ids(idx, offsets, include_last_offset: bool):
    """Flat indices, the bag of every position (-1: in no bag) and the number of bags."""
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated "
                "is a mini-batch of fixed length sequences. However, found "
                f"offsets of type {type(offsets)}"
            )
        b, length = idx.shape
        xp = array_module(idx)
        return idx.reshape(-1), xp.repeat(xp.arange(b), length), b
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    off = None if offsets is None else _raw(offsets)
    if off is None or off.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor" + (" but got None" if off is None else ""))
    if off.dtype.kind not in "iu":
        raise TypeError(
            f"embedding_bag: expected integer offsets (Long or Int), got dtype {off.dtype}"
        )
    if off.size and off[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
            f"has to start from position 0. However, got {off[0]}"
        )
    if off.size and off[-1] > idx.size:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {idx.size} "
            f"but got offsets[-1] of {off[-1]}"
        )
    xp = array_module(idx)
    if bool((xp.diff(off) < 0).any()):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {off.tolist()}")
    starts = off[:-1] if include_last_offset else off
    end = off[-1] if include_last_offset and off.size else idx.size
    pos = xp.arange(idx.size)
    bag = xp.searchsorted(starts, pos, side="right") - 1
    bag[pos >= end] = -1
    return idx, bag, starts.size


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """Sums, means or maxima of bags of rows of ``weight`` (num_embeddings, embedding_dim).

    ``input`` (B, N) is B bags of N indices; or ``input`` (L,) with ``offsets`` (B,), the
    start of each bag (offsets (B+1,) ending with the end of the last bag when
    ``include_last_offset``). Entries equal to ``padding_idx`` are left out of their bag.
    ``per_sample_weights`` (the shape of input) scale the rows in mode "sum". Output
    (B, embedding_dim)."""
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding_bag: weight must be 2-D, got shape {tuple(weight.shape)}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature "
                "request on GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(_raw(input).shape):
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({per_sample_weights.shape})"
                " is not None, then it must have the same shape as the input "
                f"({tuple(_raw(input).shape)})"
            )
    n = weight.shape[0]
    _check_indices("embedding_bag", _raw(input), n, RuntimeError)
    idx, bag, n_bags = _bag_ids(_raw(input), offsets, include_last_offset)
    if max_norm is not None:
        _renorm_rows(weight, idx[bag >= 0], max_norm, norm_type)
    keep = bag >= 0
    if padding_idx is not None:
        keep &= idx != (padding_idx + n if padding_idx < 0 else padding_idx)
    psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    return EmbeddingBagFn.apply(
        weight,
        psw,
        idx=idx[keep],
        bag=bag[keep],
        keep=keep,
        n_bags=n_bags,
        mode=mode,
        scale_grad_by_freq=bool(scale_grad_by_freq),
    )
