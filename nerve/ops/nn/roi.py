"""Region-of-interest max pooling (Fast R-CNN), with torchvision's ``roi_pool`` semantics."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.dtypes import int64

__all__ = ["roi_pool"]

_CHUNK = 1 << 22  # gathered elements per chunk of boxes, bounding the working memory


class RoIPool(Function):
    """ROI max pooling: box k = (b, x1, y1, x2, y2) is scaled by ``spatial_scale`` and
    rounded to feature-map cells, split into PH × PW bins of (fractional) size
    h/PH × w/PW, bin (i, j) covering rows [⌊i h/PH⌋, ⌈(i+1) h/PH⌉) (offset and clipped
    to the map); y[k, c, i, j] = max of x[b, c] over the bin (0 for an empty bin).
    ∂L/∂x = δ routed to each bin's (first) maximum, summed over bins and boxes."""

    def forward(self, x, rois=None, output_size=(1, 1), spatial_scale=1.0):
        (_, c, h, w), xp = x.shape, array_module(x)
        (r0, r1), (c0, c1) = _bins(rois, output_size, spatial_scale, h, w, x.dtype)
        k = rois.shape[0]
        y = xp.zeros((k, c) + tuple(output_size), dtype=x.dtype)
        self.flat = xp.full((k, c) + tuple(output_size), -1, dtype=int64)
        per_box = c * r0.shape[1] * c0.shape[1] * _span(r0, r1) * _span(c0, c1)
        step = max(1, _CHUNK // max(per_box, 1))
        batch = rois[:, 0].astype(int64)
        for s in range(0, k, step):  # chunks of boxes, not single boxes
            sl = slice(s, s + step)
            y[sl], self.flat[sl] = _pool(x, batch[sl], (r0[sl], r1[sl]), (c0[sl], c1[sl]))
        self.x_shape, self.batch = x.shape, batch
        return y

    def backward(self, dy):
        (n, c, h, w), xp = self.x_shape, array_module(dy)
        hit = self.flat >= 0
        plane = self.batch[:, None, None, None] * c + xp.arange(c)[None, :, None, None]
        target = (plane * (h * w) + self.flat)[hit]
        dx = xp.bincount(target, weights=dy[hit], minlength=n * c * h * w)
        return dx.astype(dy.dtype).reshape(self.x_shape)


def _round(v):
    """C's round(): halves away from zero."""
    xp = array_module(v)
    return xp.sign(v) * xp.floor(xp.abs(v) + 0.5)


def _bins(rois, output_size, scale, h, w, dtype):
    """Per box, the clipped start and end (exclusive) rows and columns of every bin."""
    scale, xp = dtype.type(scale), array_module(rois)
    box = _round(rois[:, 1:].astype(dtype) * scale).astype(int64)  # x1, y1, x2, y2
    out = []
    for lo, hi, bins, size in (
        (box[:, 1], box[:, 3], output_size[0], h),
        (box[:, 0], box[:, 2], output_size[1], w),
    ):
        extent = xp.maximum(hi - lo + 1, 1).astype(dtype)
        bin_size = extent / dtype.type(bins)  # (K,)
        i = xp.arange(bins, dtype=dtype)
        start = xp.floor(i * bin_size[:, None]).astype(int64) + lo[:, None]
        end = xp.ceil((i + 1) * bin_size[:, None]).astype(int64) + lo[:, None]
        out.append((xp.clip(start, 0, size), xp.clip(end, 0, size)))
    return out


def _span(start, end) -> int:
    return max(int((end - start).max()) if end.size else 0, 1)


def _pool(x, batch, rows, cols):
    """Max over the bins of a chunk of boxes: (K, C, PH, PW) values and flat indices."""
    (r0, r1), (c0, c1) = rows, cols
    kh, kw = _span(r0, r1), _span(c0, c1)
    h, w = x.shape[2:]
    xp = array_module(x)
    ri = r0[..., None] + xp.arange(kh)  # (K, PH, KH)
    ci = c0[..., None] + xp.arange(kw)  # (K, PW, KW)
    valid = (ri < r1[..., None])[:, :, None, :, None] & (ci < c1[..., None])[:, None, :, None]
    ri, ci = xp.minimum(ri, h - 1), xp.minimum(ci, w - 1)
    # x[b, :, rows, cols] -> (K, PH, PW, KH, KW, C) -> (K, C, PH, PW, KH·KW)
    g = x[batch[:, None, None, None, None], :, ri[:, :, None, :, None], ci[:, None, :, None, :]]
    g = xp.where(valid[..., None], g, -math.inf)
    k, ph, pw = g.shape[:3]
    g = g.transpose(0, 5, 1, 2, 3, 4).reshape(k, x.shape[1], ph, pw, kh * kw)
    idx = g.argmax(axis=-1)
    y = xp.take_along_axis(g, idx[..., None], axis=-1)[..., 0]
    kk = xp.arange(k)[:, None, None, None]
    pi, pj = xp.arange(ph)[None, None, :, None], xp.arange(pw)[None, None, None, :]
    flat = ri[kk, pi, idx // kw] * w + ci[kk, pj, idx % kw]
    empty = ~valid.any(axis=(3, 4))[:, None]  # (K, 1, PH, PW)
    return xp.where(empty, 0, y), xp.where(empty, -1, flat)


def _as_rois(boxes, dtype, xp):
    """Tensor[K, 5] (batch index, x1, y1, x2, y2), or a list of Tensor[L, 4] per image."""
    if isinstance(boxes, list | tuple):
        # boxes given as host lists (or on the device) are copied explicitly to xp's device
        parts = [xp.asarray(getattr(b, "_data", b), dtype=dtype).reshape(-1, 4) for b in boxes]
        index = (
            xp.concatenate([xp.full(len(p), i, dtype) for i, p in enumerate(parts)])
            if parts
            else xp.zeros(0, dtype)
        )
        body = xp.concatenate(parts) if parts else xp.zeros((0, 4), dtype)
        return xp.concatenate([index[:, None], body], axis=1)
    rois = xp.asarray(getattr(boxes, "_data", boxes))
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise ValueError(
            f"roi_pool: boxes must be a Tensor[K, 5] (batch_index, x1, y1, x2, "
            f"y2) or a list of Tensor[L, 4], got shape {rois.shape}"
        )
    return rois.astype(dtype, copy=False)


def roi_pool(input, boxes, output_size, spatial_scale: float = 1.0):
    """Max-pool each box of ``boxes`` in ``input`` (N, C, H, W) to ``output_size``, giving
    (K, C, PH, PW); torchvision.ops.roi_pool's semantics (see ``RoIPool``)."""
    if input.ndim != 4:
        raise ValueError(f"roi_pool: expected input of shape (N, C, H, W), got {list(input.shape)}")
    out = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(out) != 2 or min(out) < 1:
        raise ValueError(f"roi_pool: output_size must be a positive int or pair, got {output_size}")
    xp = array_module(input)
    rois = _as_rois(boxes, input.dtype, xp)
    b = rois[:, 0]
    if len(b) and (b.min() < 0 or b.max() >= input.shape[0] or bool((b != xp.round(b)).any())):
        raise IndexError(
            f"roi_pool: box batch indices must be integers in [0, "
            f"{input.shape[0]}), got {xp.unique(b)[:5].tolist()}"
        )
    return RoIPool.apply(input, rois=rois, output_size=out, spatial_scale=spatial_scale)
