"""Tensor's products and linear algebra: matmul, mm, addmm, det, inverse, norm ...

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class LinalgMethods:
    """Tensor's products and linear algebra (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/linalg/matmul.py -------------------------------------------------------------

    def bmm(self, mat2):
        """Batched matrix product (b, n, m) @ (b, m, p) -> (b, n, p)."""
        return ops.bmm(self, mat2)

    def dot(self, other):
        """The inner product of two 1-D tensors."""
        return ops.dot(self, other)

    def matmul(self, other):
        """self @ other, with numpy's broadcasting rules for 1-D and batched operands."""
        return ops.matmul(self, other)

    def mm(self, mat2):
        """Matrix product (n, m) @ (m, p) -> (n, p)."""
        return ops.mm(self, mat2)

    def outer(self, vec2):
        """The outer product of two 1-D tensors: out[i, j] = self[i]·vec2[j]."""
        return ops.outer(self, vec2)

    # ----- nerve/ops/linalg/decompositions.py -----------------------------------------------------

    def cholesky(self, upper=False):
        """L with L·Lᵀ = self (U = Lᵀ with ``upper``), for a positive definite matrix."""
        return ops.cholesky(self, upper)

    def det(self):
        """The determinant (of each matrix in the batch)."""
        return ops.det(self)

    def inverse(self):
        """The matrix inverse (of each matrix in the batch)."""
        return ops.inv(self)

    def logdet(self):
        """log det A: log|det A| where det A > 0, NaN where it is negative, -inf where 0."""
        return ops.logdet(self)

    def matrix_exp(self):
        """The matrix exponential Σ Aᵏ/k!."""
        return ops.matrix_exp(self)

    def matrix_power(self, n):
        """Aⁿ by repeated squaring (n < 0: of A⁻¹; n = 0: the identity)"""
        return ops.matrix_power(self, n)

    def pinverse(self, rcond=1e-15):
        """The Moore-Penrose pseudo-inverse (singular values below rcond·σ_max dropped)."""
        return ops.pinverse(self, rcond)

    def slogdet(self):
        """(sign, log|det|) of each matrix."""
        return ops.slogdet(self)

    def svd(self, some=True, compute_uv=True):
        """torch.svd: U, S, V with A = U diag(S) Vᵀ (V, not Vᵀ); some=False gives square U, V."""
        return ops.svd(self, some, compute_uv)

    # ----- nerve/functional/products.py -----------------------------------------------------------

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta·self + alpha·Σ_b batch1[b] @ batch2[b]."""
        return ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value·tensor1 / tensor2."""
        return ops.addcdiv(self, tensor1, tensor2, value=value)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value·tensor1·tensor2."""
        return ops.addcmul(self, tensor1, tensor2, value=value)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta·self + alpha·(mat1 @ mat2)."""
        return ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta·self + alpha·(mat @ vec)."""
        return ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """beta·self + alpha·outer(vec1, vec2)."""
        return ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta·self + alpha·(batch1 @ batch2), batch by batch."""
        return ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def inner(self, other):
        """The inner product over the last dimension of both."""
        return ops.inner(self, other)

    def kron(self, other):
        """The Kronecker product."""
        return ops.kron(self, other)

    def mv(self, vec):
        """Matrix-vector product (n, m) @ (m,) -> (n,)."""
        return ops.mv(self, vec)

    def vdot(self, other):
        """The inner product of two 1-D tensors (the first conjugated)."""
        return ops.vdot(self, other)

    # ----- nerve/ops/linalg/distance.py -----------------------------------------------------------

    def corrcoef(self):
        """Pearson correlations: cov / √(var_i var_j), clipped to [-1, 1]."""
        return ops.corrcoef(self)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        """The covariance matrix of the rows (variables) over the columns (observations)."""
        return ops.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def dist(self, other, p=2):
        """The p-norm of self - other."""
        return ops.dist(self, other, p)

    def renorm(self, p, dim, maxnorm):
        """A copy whose slices along ``dim`` with p-norm above ``maxnorm`` are scaled to it."""
        return ops.renorm(self, p, dim, maxnorm)

    # ----- nerve/linalg.py -----------------------------------------------------------------

    def norm(self, p="fro", dim=None, keepdim=False, out=None, dtype=None):
        """The vector p-norm over ``dim`` (all elements by default); 'fro' is p = 2."""
        return ops.tensor_norm(self, p, dim, keepdim, out, dtype)
