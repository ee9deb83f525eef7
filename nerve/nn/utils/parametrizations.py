"""Ready-made parametrizations, as ``torch.nn.utils.parametrizations``: weight_norm,
spectral_norm and orthogonal, each a small Module registered through
``nerve.nn.utils.parametrize``."""

from __future__ import annotations

import numpy as np

from nerve import creation, linalg
from nerve.autograd.grad_mode import no_grad
from nerve.nn import functional as F
from nerve.nn.module import Module
from nerve.nn.utils import parametrize
from nerve.nn.utils.spectral_norm import _default_dim, normalize_, weight_matrix
from nerve.nn.utils.weight_norm import norm_except_dim, weight_norm_of
from nerve.ops.shape.rearrange import cat as _cat  # private: not a name of torch's module
from nerve.tensor import Tensor

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """w = g · v / ‖v‖; ``right_inverse`` splits a weight into (g, v) = (‖w‖, w)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_of(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """Reparametrize ``module.name`` as g · v / ‖v‖, the norm over every dimension but
    ``dim`` (all for ``dim=None``); ``original0`` is g and ``original1`` is v."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """w / σ(W), σ estimated by the power method on buffers ``_u``, ``_v`` (updated in
    training mode only): u ← Wv/‖Wv‖, v ← Wᵀu/‖Wᵀu‖, σ = uᵀWv with u, v constant for the
    gradient. A vector is simply normalised."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            from nerve.random import rng

            self.n_power_iterations = n_power_iterations
            mat = weight_matrix(weight.detach(), self.dim)._data
            h, w = mat.shape
            dtype = mat.dtype
            self.register_buffer(
                "_u", Tensor._wrap(normalize_(rng().standard_normal(h).astype(dtype), eps))
            )
            self.register_buffer(
                "_v", Tensor._wrap(normalize_(rng().standard_normal(w).astype(dtype), eps))
            )
            self._power_method(mat, 15)

    def _power_method(self, mat: np.ndarray, n_power_iterations: int) -> None:
        for _ in range(n_power_iterations):
            # in place, so references to the buffers see the update (torch's out=)
            self._u._data[...] = normalize_(mat @ self._v._data, self.eps)
            self._v._data[...] = normalize_(mat.T @ self._u._data, self.eps)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        w = weight_matrix(weight, self.dim)
        if self.training:
            self._power_method(w.detach()._data, self.n_power_iterations)
        u, v = self._u.detach().clone(), self._v.detach().clone()
        sigma = (u * (w @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.name`` by its spectral norm at every access (see _SpectralNorm);
    ``dim`` defaults to 1 for ConvTranspose and 0 otherwise."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


def householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H₁H₂…H_k, Hᵢ = I − τᵢ vᵢvᵢᵀ, with vᵢ the i-th column of
    ``a`` (n, k) below the diagonal and 1 on it (``torch.linalg.householder_product``).
    A composite of matmuls, so the gradient reaches ``a`` and ``tau``."""
    n, k = a.shape[-2], a.shape[-1]
    v = a.tril(-1) + creation.eye(n, k, dtype=a.dtype)
    q = creation.eye(n, dtype=a.dtype).expand(*a.shape[:-2], n, n)
    for i in range(k):  # the reflections compose in order: inherently sequential
        vi = v[..., :, i : i + 1]  # (..., n, 1)
        q = q - (q @ vi) @ (vi.mT * tau[..., i : i + 1].unsqueeze(-1))
    return q[..., :, :k]


def _make_orthogonal(a: np.ndarray) -> np.ndarray:
    """The Q of a = QR with R's diagonal made positive (a unique choice)."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _is_orthogonal(q: np.ndarray) -> bool:
    n, k = q.shape[-2:]
    eps = 10 * n * np.finfo(q.dtype).eps
    return np.allclose(np.swapaxes(q, -1, -2) @ q, np.eye(k), rtol=1e-5, atol=eps)


class _Orthogonal(Module):
    """Q(X): an orthogonal matrix from an unconstrained one, by the matrix exponential
    or the Cayley map of the skew-symmetric A = tril(X) − tril(X)ᵀ, or by a product of
    Householder reflections of the columns of X below the diagonal. With
    ``use_trivialization`` the result is left-multiplied by a fixed orthogonal buffer
    ``base`` (the assigned weight), and ``original`` starts at −I (so Q = base)."""

    _MAPS = ("matrix_exp", "cayley", "householder")

    def __init__(
        self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x, n, k = x.mT, k, n
        if self.orthogonal_map == "householder":
            a = x.tril(-1)
            tau = 2.0 / (1.0 + (a * a).sum(dim=-2))
            signs = x.detach().diagonal(dim1=-2, dim2=-1).int().to(x.dtype)
            q = householder_product(a, tau) * signs.unsqueeze(-2)
        else:
            x = x.tril()
            if n != k:
                x = _cat([x, creation.zeros(*x.shape[:-1], n - k, dtype=x.dtype)], dim=-1)
            a = x - x.mT
            if self.orthogonal_map == "matrix_exp":
                q = linalg.matrix_exp(a)
            else:
                eye = creation.eye(n, dtype=a.dtype)
                q = linalg.solve(eye - 0.5 * a, eye + 0.5 * a)
            if n != k:
                q = q[..., :k]
        if "base" in self._buffers:
            q = self.base @ q
        return q.mT if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        if tuple(q.shape) != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {tuple(q.shape)}."
            )
        with no_grad():
            return self._right_inverse(q)

    @staticmethod
    def _compact_qr(arr: np.ndarray, transpose: bool) -> Tensor:
        """LAPACK geqrf's compact QR (reflectors below the diagonal), the diagonal replaced
        by the signs that make householder_product give back the same Q."""
        flat = arr.reshape((-1,) + arr.shape[-2:])
        out = np.empty_like(flat)
        for j, m in enumerate(flat):  # numpy's raw QR takes one matrix at a time
            h, tau = np.linalg.qr(m, mode="raw")
            a = h.T.copy()
            d = np.sign(np.diagonal(a)).copy()
            d[tau == 0.0] *= -1
            np.fill_diagonal(a, d)
            out[j] = a
        out = out.reshape(arr.shape).astype(arr.dtype)
        return Tensor._wrap(np.swapaxes(out, -1, -2) if transpose else out)

    def _right_inverse(self, q: Tensor) -> Tensor:
        arr = q.detach()._data
        transpose = arr.shape[-2] < arr.shape[-1]
        if transpose:
            arr = np.swapaxes(arr, -1, -2)
        n, k = arr.shape[-2:]
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError(
                    "It is not possible to assign to the matrix "
                    "exponential or the Cayley parametrizations when "
                    "use_trivialization=False."
                )
            return self._compact_qr(arr, transpose)
        if n == k:
            base = arr.copy() if _is_orthogonal(arr) else _make_orthogonal(arr)
        else:
            from nerve.random import rng

            extra = rng().standard_normal(arr.shape[:-2] + (n, n - k)).astype(arr.dtype)
            base = _make_orthogonal(np.concatenate([arr, extra], axis=-1))
        self.base = Tensor._wrap(base)
        neg_id = np.zeros(q.shape, q.detach()._data.dtype)
        diag = np.arange(min(neg_id.shape[-2:]))
        neg_id[..., diag, diag] = -1.0
        return Tensor._wrap(neg_id)


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Constrain ``module.name`` (a matrix or batch of matrices) to be orthogonal: QᵀQ = I
    (or QQᵀ = I for a wide matrix). ``orthogonal_map`` is "matrix_exp" (default for a
    square matrix), "cayley" or "householder" (default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _Orthogonal._MAPS:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", '
            f'"householder". Got: {orthogonal_map}'
        )
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
