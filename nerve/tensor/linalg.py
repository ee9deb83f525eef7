"""Tensor's products and linear algebra: matmul, mm, addmm, det, inverse, norm ...

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class LinalgMethods:
    """Tensor's products and linear algebra (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/linalg.py -------------------------------------------------------------

    def bmm(self, mat2):
        """``bmm`` of this tensor (see ``nerve.ops.linalg``)."""
        return ops.bmm(self, mat2)

    def dot(self, other):
        """``dot`` of this tensor (see ``nerve.ops.linalg``)."""
        return ops.dot(self, other)

    def matmul(self, other):
        """``matmul`` of this tensor (see ``nerve.ops.linalg``)."""
        return ops.matmul(self, other)

    def mm(self, mat2):
        """``mm`` of this tensor (see ``nerve.ops.linalg``)."""
        return ops.mm(self, mat2)

    def outer(self, vec2):
        """``outer`` of this tensor (see ``nerve.ops.linalg``)."""
        return ops.outer(self, vec2)

    # ----- nerve/ops/linalg_more.py --------------------------------------------------------

    def cholesky(self, upper=False):
        """``cholesky`` of this tensor (see ``nerve.ops.linalg_more``)."""
        return ops.cholesky(self, upper)

    def det(self):
        """``det`` of this tensor (see ``nerve.ops.linalg_more``)."""
        return ops.det(self)

    def inverse(self):
        """PyTorch's other name for ``inv``."""
        return ops.inv(self)

    def logdet(self):
        """log det A: log|det A| where det A > 0, NaN where it is negative, -inf where 0."""
        return ops.logdet(self)

    def matrix_exp(self):
        """``matrix_exp`` of this tensor (see ``nerve.ops.linalg_more``)."""
        return ops.matrix_exp(self)

    def matrix_power(self, n):
        """Aⁿ by repeated squaring (n < 0: of A⁻¹; n = 0: the identity)"""
        return ops.matrix_power(self, n)

    def pinverse(self, rcond=1e-15):
        """``pinverse`` of this tensor (see ``nerve.ops.linalg_more``)."""
        return ops.pinverse(self, rcond)

    def slogdet(self):
        """``slogdet`` of this tensor (see ``nerve.ops.linalg_more``)."""
        return ops.slogdet(self)

    def svd(self, some=True, compute_uv=True):
        """torch.svd: U, S, V with A = U diag(S) Vᵀ (V, not Vᵀ); some=False gives square U, V."""
        return ops.svd(self, some, compute_uv)

    # ----- nerve/ops/products.py -----------------------------------------------------------

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """``addbmm`` of this tensor (see ``nerve.ops.products``)."""
        return ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """``addcdiv`` of this tensor (see ``nerve.ops.products``)."""
        return ops.addcdiv(self, tensor1, tensor2, value=value)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """``addcmul`` of this tensor (see ``nerve.ops.products``)."""
        return ops.addcmul(self, tensor1, tensor2, value=value)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``addmm`` of this tensor (see ``nerve.ops.products``)."""
        return ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """``addmv`` of this tensor (see ``nerve.ops.products``)."""
        return ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """``addr`` of this tensor (see ``nerve.ops.products``)."""
        return ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """``baddbmm`` of this tensor (see ``nerve.ops.products``)."""
        return ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def inner(self, other):
        """``inner`` of this tensor (see ``nerve.ops.products``)."""
        return ops.inner(self, other)

    def kron(self, other):
        """``kron`` of this tensor (see ``nerve.ops.products``)."""
        return ops.kron(self, other)

    def mv(self, vec):
        """``mv`` of this tensor (see ``nerve.ops.products``)."""
        return ops.mv(self, vec)

    def vdot(self, other):
        """``vdot`` of this tensor (see ``nerve.ops.products``)."""
        return ops.vdot(self, other)

    # ----- nerve/ops/distance.py -----------------------------------------------------------

    def corrcoef(self):
        """Pearson correlations: cov / √(var_i var_j), clipped to [-1, 1]."""
        return ops.corrcoef(self)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        """``cov`` of this tensor (see ``nerve.ops.distance``)."""
        return ops.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def dist(self, other, p=2):
        """``dist`` of this tensor (see ``nerve.ops.distance``)."""
        return ops.dist(self, other, p)

    def renorm(self, p, dim, maxnorm):
        """``renorm`` of this tensor (see ``nerve.ops.distance``)."""
        return ops.renorm(self, p, dim, maxnorm)

    # ----- nerve/linalg.py -----------------------------------------------------------------

    def norm(self, p='fro', dim=None, keepdim=False, out=None, dtype=None):
        """PyTorch's other name for ``tensor_norm``."""
        return ops.tensor_norm(self, p, dim, keepdim, out, dtype)
