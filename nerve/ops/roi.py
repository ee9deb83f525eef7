"""Region-of-interest max pooling (Fast R-CNN), with torchvision's ``roi_pool`` semantics."""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function

_CHUNK = 1 << 22  # gathered elements per chunk of boxes, bounding the working memory


class RoIPool(Function):
    """ROI max pooling: box k = (b, x1, y1, x2, y2) is scaled by ``spatial_scale`` and
    rounded to feature-map cells, split into PH × PW bins of (fractional) size
    h/PH × w/PW, bin (i, j) covering rows [⌊i h/PH⌋, ⌈(i+1) h/PH⌉) (offset and clipped
    to the map); y[k, c, i, j] = max of x[b, c] over the bin (0 for an empty bin).
    ∂L/∂x = δ routed to each bin's (first) maximum, summed over bins and boxes."""

    def forward(self, x, rois=None, output_size=(1, 1), spatial_scale=1.0):
        n, c, h, w = x.shape
        (r0, r1), (c0, c1) = _bins(rois, output_size, spatial_scale, h, w, x.dtype)
        k = rois.shape[0]
        y = np.zeros((k, c) + tuple(output_size), dtype=x.dtype)
        self.flat = np.full((k, c) + tuple(output_size), -1, dtype=np.int64)
        per_box = c * r0.shape[1] * c0.shape[1] * _span(r0, r1) * _span(c0, c1)
        step = max(1, _CHUNK // max(per_box, 1))
        batch = rois[:, 0].astype(np.int64)
        for s in range(0, k, step):  # chunks of boxes, not single boxes
            sl = slice(s, s + step)
            y[sl], self.flat[sl] = _pool(x, batch[sl], (r0[sl], r1[sl]), (c0[sl], c1[sl]))
        self.x_shape, self.batch = x.shape, batch
        return y

    def backward(self, dy):
        n, c, h, w = self.x_shape
        hit = self.flat >= 0
        plane = self.batch[:, None, None, None] * c + np.arange(c)[None, :, None, None]
        target = (plane * (h * w) + self.flat)[hit]
        dx = np.bincount(target, weights=dy[hit], minlength=n * c * h * w)
        return dx.astype(dy.dtype).reshape(self.x_shape)


def _round(v):
    """C's round(): halves away from zero."""
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _bins(rois, output_size, scale, h, w, dtype):
    """Per box, the clipped start and end (exclusive) rows and columns of every bin."""
    scale = dtype.type(scale)
    box = _round(rois[:, 1:].astype(dtype) * scale).astype(np.int64)  # x1, y1, x2, y2
    out = []
    for lo, hi, bins, size in ((box[:, 1], box[:, 3], output_size[0], h),
                               (box[:, 0], box[:, 2], output_size[1], w)):
        extent = np.maximum(hi - lo + 1, 1).astype(dtype)
        bin_size = extent / dtype.type(bins)  # (K,)
        i = np.arange(bins, dtype=dtype)
        start = np.floor(i * bin_size[:, None]).astype(np.int64) + lo[:, None]
        end = np.ceil((i + 1) * bin_size[:, None]).astype(np.int64) + lo[:, None]
        out.append((np.clip(start, 0, size), np.clip(end, 0, size)))
    return out


def _span(start, end) -> int:
    return max(int((end - start).max(initial=0)), 1)


def _pool(x, batch, rows, cols):
    """Max over the bins of a chunk of boxes: (K, C, PH, PW) values and flat indices."""
    (r0, r1), (c0, c1) = rows, cols
    kh, kw = _span(r0, r1), _span(c0, c1)
    h, w = x.shape[2:]
    ri = r0[..., None] + np.arange(kh)  # (K, PH, KH)
    ci = c0[..., None] + np.arange(kw)  # (K, PW, KW)
    valid = (ri < r1[..., None])[:, :, None, :, None] & (ci < c1[..., None])[:, None, :, None]
    ri, ci = np.minimum(ri, h - 1), np.minimum(ci, w - 1)
    # x[b, :, rows, cols] -> (K, PH, PW, KH, KW, C) -> (K, C, PH, PW, KH·KW)
    g = x[batch[:, None, None, None, None], :, ri[:, :, None, :, None], ci[:, None, :, None, :]]
    g = np.where(valid[..., None], g, -np.inf)
    k, ph, pw = g.shape[:3]
    g = g.transpose(0, 5, 1, 2, 3, 4).reshape(k, x.shape[1], ph, pw, kh * kw)
    idx = g.argmax(axis=-1)
    y = np.take_along_axis(g, idx[..., None], axis=-1)[..., 0]
    kk = np.arange(k)[:, None, None, None]
    pi, pj = np.arange(ph)[None, None, :, None], np.arange(pw)[None, None, None, :]
    flat = ri[kk, pi, idx // kw] * w + ci[kk, pj, idx % kw]
    empty = ~valid.any(axis=(3, 4))[:, None]  # (K, 1, PH, PW)
    return np.where(empty, 0, y), np.where(empty, -1, flat)


def _as_rois(boxes, dtype):
    """Tensor[K, 5] (batch index, x1, y1, x2, y2), or a list of Tensor[L, 4] per image."""
    if isinstance(boxes, list | tuple):
        parts = [np.asarray(getattr(b, "_data", b), dtype=dtype).reshape(-1, 4) for b in boxes]
        index = np.concatenate([np.full(len(p), i, dtype) for i, p in enumerate(parts)]) \
            if parts else np.zeros(0, dtype)
        body = np.concatenate(parts) if parts else np.zeros((0, 4), dtype)
        return np.concatenate([index[:, None], body], axis=1)
    rois = np.asarray(getattr(boxes, "_data", boxes))
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise ValueError(f"roi_pool: boxes must be a Tensor[K, 5] (batch_index, x1, y1, x2, "
                         f"y2) or a list of Tensor[L, 4], got shape {rois.shape}")
    return rois.astype(dtype, copy=False)


def roi_pool(input, boxes, output_size, spatial_scale: float = 1.0):  # noqa: A002
    """Max-pool each box of ``boxes`` in ``input`` (N, C, H, W) to ``output_size``, giving
    (K, C, PH, PW); torchvision.ops.roi_pool's semantics (see ``RoIPool``)."""
    if input.ndim != 4:
        raise ValueError(f"roi_pool: expected input of shape (N, C, H, W), got "
                         f"{list(input.shape)}")
    out = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(out) != 2 or min(out) < 1:
        raise ValueError(f"roi_pool: output_size must be a positive int or pair, got "
                         f"{output_size}")
    rois = _as_rois(boxes, input.dtype)
    b = rois[:, 0]
    if len(b) and (b.min() < 0 or b.max() >= input.shape[0] or np.any(b != np.round(b))):
        raise IndexError(f"roi_pool: box batch indices must be integers in [0, "
                         f"{input.shape[0]}), got {np.unique(b)[:5]}")
    return RoIPool.apply(input, rois=rois, output_size=out, spatial_scale=spatial_scale)
