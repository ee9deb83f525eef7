"""Tensor's indexing: ``x[i]``, ``x[i] = v``, gather, scatter, take, nonzero, unique ...

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class IndexingMethods:
    """Tensor's indexing (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/shape/indexing.py -----------------------------------------------------------

    def __getitem__(self, index):
        """``x[index]``: basic indexing gives a view, advanced indexing a copy."""
        return ops.getitem(self, index)

    def __setitem__(self, index, value):
        """``x[index] = value``, in place (through the graph when it must be)."""
        return ops.setitem(self, index, value)

    def gather(self, dim, index):
        """out[i][j] = self[index[i][j]][j] (for dim 0): values picked along ``dim``."""
        return ops.gather(self, dim, index)

    def index_select(self, dim, index):
        """The slices at ``index`` (a 1-D int tensor) along ``dim``."""
        return ops.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is True."""
        return ops.masked_fill(self, mask, value)

    # ----- nerve/ops/shape/index_write.py ---------------------------------------------------------

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        """A copy with ``src`` written onto the diagonal (offset, dim1, dim2)."""
        return ops.diagonal_scatter(self, src, offset, dim1, dim2)

    def index_copy(self, dim, index, source):
        """A copy with the slices of ``source`` written at ``index`` along ``dim``."""
        return ops.index_copy(self, dim, index, source)

    def index_fill(self, dim, index, value):
        """A copy with ``value`` written at ``index`` along ``dim``."""
        return ops.index_fill(self, dim, index, value)

    def index_put(self, indices, values, accumulate=False):
        """A copy with ``values`` at ``indices`` (summed in when ``accumulate``)."""
        return ops.index_put(self, indices, values, accumulate)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        """scatter_reduce with the vector ``index`` spread over source's other dims."""
        return ops.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def masked_scatter(self, mask, source):
        """A copy with the elements of ``source``, in order, where ``mask`` is True."""
        return ops.masked_scatter(self, mask, source)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """A copy with ``src`` reduced into the places ``index`` names along ``dim``."""
        return ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def select_scatter(self, src, dim, index):
        """A copy with ``src`` written into slice ``index`` of ``dim``."""
        return ops.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        """A copy with ``src`` written into the slice start:end:step of ``dim``."""
        return ops.slice_scatter(self, src, dim, start, end, step)

    def take(self, index):
        """The elements at flat positions ``index`` (of the flattened tensor)."""
        return ops.take(self, index)

    def take_along_dim(self, indices, dim=None):
        """Values picked along ``dim`` at ``indices`` (numpy's take_along_axis)."""
        return ops.take_along_dim(self, indices, dim)

    # ----- nerve/ops/shape/scatter.py ------------------------------------------------------------

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy of ``input`` with α · ``source``'s slices added at ``index`` along ``dim``."""
        return ops.index_add(self, dim, index, source, alpha=alpha)

    def masked_select(self, mask):
        """The entries of ``input`` where the (broadcast) bool ``mask`` is True, as 1-D."""
        return ops.masked_select(self, mask)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy with ``src`` (or ``value``) written where ``index`` says along ``dim``."""
        return ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        """A copy with ``src`` summed into the places ``index`` names along ``dim``."""
        return ops.scatter_add(self, dim, index, src)

    # ----- nerve/functional/counting.py ---------------------------------------------------------

    def argwhere(self):
        """The indices of the nonzero elements, one row each (int64)."""
        return ops.argwhere(self)

    def bincount(self, weights=None, minlength=0):
        """Counts of each value 0..max of a 1-D non-negative integer tensor (sums of weights)"""
        return ops.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        """A histogram of ``bins`` equal bins over [min, max] (the data's range if both 0)."""
        return ops.histc(self, bins, min, max)

    def nonzero(self, *, as_tuple=False):
        """The indices of the nonzero elements (one row each, or a tuple per dim)."""
        return ops.nonzero(self, as_tuple=as_tuple)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (or slices along ``dim``), always in ascending order."""
        return ops.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """One value (or slice along ``dim``) per run of equal consecutive ones."""
        return ops.unique_consecutive(self, return_inverse, return_counts, dim)
