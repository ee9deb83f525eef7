"""Tensor's reductions, scans and sorting: sum, mean, max, cumsum, sort, topk ...

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class ReduceMethods:
    """Tensor's reductions, scans and sorting (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/reduce/reductions.py ---------------------------------------------------------

    def amax(self, dim=(), keepdim=False):
        """The largest value over ``dim`` (all dims by default), no indices."""
        return ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        """The smallest value over ``dim`` (all dims by default), no indices."""
        return ops.amin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """log Σ eˣ over ``dim``, computed stably."""
        return ops.logsumexp(self, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, other=None):
        """The largest element; with ``dim``, (values, indices); with a tensor, maximum."""
        return ops.max(self, dim, keepdim, other=other)

    def mean(self, dim=None, keepdim=False, dtype=None):
        """The mean over ``dim`` (all elements by default)."""
        return ops.mean(self, dim, keepdim, dtype)

    def min(self, dim=None, keepdim=False, *, other=None):
        """The smallest element; with ``dim``, (values, indices); with a tensor, minimum."""
        return ops.min(self, dim, keepdim, other=other)

    def prod(self, dim=None, keepdim=False, dtype=None):
        """The product over ``dim`` (all elements by default)."""
        return ops.prod(self, dim, keepdim, dtype)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation over ``dim`` (Bessel-corrected unless told otherwise)."""
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    def sum(self, dim=None, keepdim=False, dtype=None):
        """The sum over ``dim`` (all elements by default)."""
        return ops.sum(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance over ``dim`` (Bessel-corrected unless told otherwise)."""
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    # ----- nerve/ops/reduce/statistics.py --------------------------------------------------------

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) over ``dim`` (all elements by default)."""
        return ops.aminmax(self, dim=dim, keepdim=keepdim)

    def cummax(self, dim):
        """(values, indices) of the running maximum along ``dim``."""
        return ops.cummax(self, dim)

    def cummin(self, dim):
        """(values, indices) of the running minimum along ``dim``."""
        return ops.cummin(self, dim)

    def logcumsumexp(self, dim):
        """log of the running sum of eˣ along ``dim``, computed stably."""
        return ops.logcumsumexp(self, dim)

    def median(self, dim=None, keepdim=False):
        """The lower median (of n entries, the ((n-1)//2)-th smallest); NaN if any is NaN."""
        return ops.median(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        """(values, indices) of the most frequent value along ``dim``."""
        return ops.mode(self, dim, keepdim)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean over ``dim``, NaNs left out."""
        return ops.nanmean(self, dim, keepdim, dtype=dtype)

    def nanmedian(self, dim=None, keepdim=False):
        """median ignoring NaN entries (NaN only where a row is all NaN)"""
        return ops.nanmedian(self, dim, keepdim)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """quantile ignoring NaN entries (NaN only where a row is all NaN)"""
        return ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum over ``dim``, NaNs counted as zero."""
        return ops.nansum(self, dim, keepdim, dtype=dtype)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The q-th quantiles over ``dim`` (interpolated as ``interpolation`` says)."""
        return ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    # ----- nerve/ops/reduce/scan.py ---------------------------------------------------------------

    def cumprod(self, dim, *, dtype=None):
        """The running product along ``dim``."""
        return ops.cumprod(self, dim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        """The running sum along ``dim``."""
        return ops.cumsum(self, dim, dtype=dtype)

    # ----- nerve/ops/reduce/sorting.py ------------------------------------------------------------

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort along ``dim``."""
        return ops.argsort(self, dim, descending, stable)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest entry (k counts from 1) along ``dim`` and its index."""
        return ops.kthvalue(self, k, dim, keepdim)

    def msort(self):
        """Sorted along the first dimension."""
        return ops.msort(self)

    def sort(self, dim=-1, descending=False, stable=False):
        """Sorted values and their original indices along ``dim`` (always a stable sort)"""
        return ops.sort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (or smallest) along ``dim``."""
        return ops.topk(self, k, dim, largest, sorted)
