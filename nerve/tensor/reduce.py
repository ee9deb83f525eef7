"""Tensor's reductions, scans and sorting: sum, mean, max, cumsum, sort, topk ...

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class ReduceMethods:
    """Tensor's reductions, scans and sorting (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/reduce.py -------------------------------------------------------------

    def amax(self, dim=(), keepdim=False):
        """``amax`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        """``amin`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.amin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """``logsumexp`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.logsumexp(self, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, other=None):
        """``max`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.max(self, dim, keepdim, other=other)

    def mean(self, dim=None, keepdim=False, dtype=None):
        """``mean`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.mean(self, dim, keepdim, dtype)

    def min(self, dim=None, keepdim=False, *, other=None):
        """``min`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.min(self, dim, keepdim, other=other)

    def prod(self, dim=None, keepdim=False, dtype=None):
        """``prod`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.prod(self, dim, keepdim, dtype)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """``std`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    def sum(self, dim=None, keepdim=False, dtype=None):
        """``sum`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.sum(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """``var`` of this tensor (see ``nerve.ops.reduce``)."""
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    # ----- nerve/ops/reduce_more.py --------------------------------------------------------

    def aminmax(self, *, dim=None, keepdim=False):
        """``aminmax`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.aminmax(self, dim=dim, keepdim=keepdim)

    def cummax(self, dim):
        """``cummax`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.cummax(self, dim)

    def cummin(self, dim):
        """``cummin`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.cummin(self, dim)

    def logcumsumexp(self, dim):
        """``logcumsumexp`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.logcumsumexp(self, dim)

    def median(self, dim=None, keepdim=False):
        """The lower median (of n entries, the ((n-1)//2)-th smallest); NaN if any is NaN."""
        return ops.median(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        """``mode`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.mode(self, dim, keepdim)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """``nanmean`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.nanmean(self, dim, keepdim, dtype=dtype)

    def nanmedian(self, dim=None, keepdim=False):
        """median ignoring NaN entries (NaN only where a row is all NaN)"""
        return ops.nanmedian(self, dim, keepdim)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation='linear'):
        """quantile ignoring NaN entries (NaN only where a row is all NaN)"""
        return ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """``nansum`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.nansum(self, dim, keepdim, dtype=dtype)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation='linear'):
        """``quantile`` of this tensor (see ``nerve.ops.reduce_more``)."""
        return ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    # ----- nerve/ops/scan.py ---------------------------------------------------------------

    def cumprod(self, dim, *, dtype=None):
        """``cumprod`` of this tensor (see ``nerve.ops.scan``)."""
        return ops.cumprod(self, dim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        """``cumsum`` of this tensor (see ``nerve.ops.scan``)."""
        return ops.cumsum(self, dim, dtype=dtype)

    # ----- nerve/ops/sorting.py ------------------------------------------------------------

    def argsort(self, dim=-1, descending=False, stable=False):
        """``argsort`` of this tensor (see ``nerve.ops.sorting``)."""
        return ops.argsort(self, dim, descending, stable)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest entry (k counts from 1) along ``dim`` and its index."""
        return ops.kthvalue(self, k, dim, keepdim)

    def msort(self):
        """``msort`` of this tensor (see ``nerve.ops.sorting``)."""
        return ops.msort(self)

    def sort(self, dim=-1, descending=False, stable=False):
        """Sorted values and their original indices along ``dim`` (always a stable sort)"""
        return ops.sort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``topk`` of this tensor (see ``nerve.ops.sorting``)."""
        return ops.topk(self, k, dim, largest, sorted)
