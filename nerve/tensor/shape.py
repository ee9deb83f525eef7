"""Tensor's shape methods: views, reshapes, permutations, splits and joins.

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class ShapeMethods:
    """Tensor's shape methods (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/shape/rearrange.py -----------------------------------------------------------

    def chunk(self, chunks, dim=0):
        """``chunks`` nearly equal views along ``dim``."""
        return ops.chunk(self, chunks, dim)

    def expand(self, *sizes):
        """A view broadcast to ``sizes`` (-1 keeps a size), without copying."""
        return ops.expand(self, *sizes)

    def flatten(self, start_dim=0, end_dim=-1):
        """Dims start_dim..end_dim merged into one."""
        return ops.flatten(self, start_dim, end_dim)

    def flip(self, dims):
        """Reverse the order of the entries along ``dims`` (a view through negative strides)"""
        return ops.flip(self, dims)

    def fliplr(self):
        """Reversed along dim 1."""
        return ops.fliplr(self)

    def flipud(self):
        """Reversed along dim 0."""
        return ops.flipud(self)

    def permute(self, *dims):
        """A view with the dims reordered as ``dims``."""
        return ops.permute(self, *dims)

    def repeat(self, *sizes):
        """The tensor tiled ``sizes`` times along each dim (a copy)."""
        return ops.repeat(self, *sizes)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        """Each element repeated ``repeats`` times along ``dim``."""
        return ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    def reshape(self, *shape):
        """The same elements in ``shape`` (a view when the layout allows, else a copy)."""
        return ops.reshape(self, *shape)

    def roll(self, shifts, dims=None):
        """Shift entries cyclically by ``shifts`` along ``dims`` (the flattened tensor if None)"""
        return ops.roll(self, shifts, dims)

    def split(self, split_size_or_sections, dim=0):
        """Views of ``split_size_or_sections`` along ``dim``."""
        return ops.split(self, split_size_or_sections, dim)

    def squeeze(self, dim=None):
        """A view without the size-1 dims (only ``dim`` when given)."""
        return ops.squeeze(self, dim)

    def swapaxes(self, dim0, dim1):
        """PyTorch's other name for ``transpose``."""
        return ops.transpose(self, dim0, dim1)

    def swapdims(self, dim0, dim1):
        """PyTorch's other name for ``transpose``."""
        return ops.transpose(self, dim0, dim1)

    def t(self):
        """The transpose of a matrix (a 0-d or 1-D tensor as it is)."""
        return ops.t(self)

    def transpose(self, dim0, dim1):
        """A view with dims dim0 and dim1 swapped."""
        return ops.transpose(self, dim0, dim1)

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple of views."""
        return ops.unbind(self, dim)

    def unflatten(self, dim, sizes):
        """Dim ``dim`` split into ``sizes``."""
        return ops.unflatten(self, dim, sizes)

    def unsqueeze(self, dim):
        """A view with a size-1 dim inserted at ``dim``."""
        return ops.unsqueeze(self, dim)

    def view(self, *shape):
        """A view with ``shape`` (-1 infers one size); the layout must allow it."""
        return ops.view(self, *shape)

    # ----- nerve/ops/shape/rearrange_triangles.py -------------------------------------------------

    def diag(self, diagonal=0):
        """1-D input: a square matrix with it on the ``diagonal``; 2-D: that diagonal."""
        return ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The entries x[i, i + offset] of dims (dim1, dim2), as a new last dimension."""
        return ops.diagonal(self, offset, dim1, dim2)

    def trace(self):
        """The sum of the main diagonal of a matrix."""
        return ops.trace(self)

    def tril(self, diagonal=0):
        """The lower triangle (entries with col - row ≤ diagonal) of the last two dims."""
        return ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        """The upper triangle (entries with col - row ≥ diagonal) of the last two dims."""
        return ops.triu(self, diagonal)

    # ----- nerve/ops/shape/dims.py ---------------------------------------------------------

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Matrices with the last dim on their (offset) diagonal."""
        return ops.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        """A square matrix with the flattened tensor on its (offset) diagonal."""
        return ops.diagflat(self, offset)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along ``dim``."""
        return ops.diff(self, n, dim, prepend, append)

    def dsplit(self, indices_or_sections):
        """Split along dim 2 (depth)."""
        return ops.dsplit(self, indices_or_sections)

    def hsplit(self, indices_or_sections):
        """Split along dim 1 (dim 0 for a 1-D tensor)."""
        return ops.hsplit(self, indices_or_sections)

    def moveaxis(self, source, destination):
        """PyTorch's other name for ``movedim``."""
        return ops.movedim(self, source, destination)

    def movedim(self, source, destination):
        """A view with dims ``source`` moved to positions ``destination``."""
        return ops.movedim(self, source, destination)

    def narrow(self, dim, start, length):
        """A view of ``length`` entries of ``dim`` from ``start``."""
        return ops.narrow(self, dim, start, length)

    def narrow_copy(self, dim, start, length):
        """A copy of ``narrow(dim, start, length)``."""
        return ops.narrow_copy(self, dim, start, length)

    def ravel(self):
        """The elements as a 1-D tensor (a view when contiguous)."""
        return ops.ravel(self)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotated k quarter turns in the plane of ``dims``."""
        return ops.rot90(self, k, dims)

    def select(self, dim, index):
        """The slice at ``index`` of ``dim`` (that dim removed)."""
        return ops.select(self, dim, index)

    def split_with_sizes(self, split_sizes, dim=0):
        """Views of ``split_sizes`` along ``dim``."""
        return ops.split_with_sizes(self, split_sizes, dim)

    def sum_to_size(self, *size):
        """Summed down to ``size`` (the reverse of broadcasting)."""
        return ops.sum_to_size(self, *size)

    def tensor_split(self, indices_or_sections, dim=0):
        """Pieces along ``dim``: n sections (the first n mod k one longer) or cut at indices."""
        return ops.tensor_split(self, indices_or_sections, dim)

    def tile(self, dims):
        """The tensor repeated ``dims`` times along each dim."""
        return ops.tile(self, dims)

    def unfold(self, dimension, size, step):
        """Tensor.unfold: all windows of ``size`` entries every ``step`` along ``dimension``."""
        return ops.unfold(self, dimension, size, step)

    def vsplit(self, indices_or_sections):
        """Split along dim 0."""
        return ops.vsplit(self, indices_or_sections)

    # ----- shaped like another tensor -----------------------------------------------
    def expand_as(self, other):
        """This tensor expanded to ``other``'s shape."""
        ops.need_tensor("expand_as", other, pos=1)
        return ops.expand(self, tuple(other.shape))

    def view_as(self, other):
        """This tensor viewed with ``other``'s shape."""
        ops.need_tensor("view_as", other, pos=1)
        return ops.reshape(self, tuple(other.shape))

    def reshape_as(self, other):
        """This tensor reshaped to ``other``'s shape."""
        ops.need_tensor("view_as", other, pos=1)
        return ops.reshape(self, tuple(other.shape))
