"""Matrix functions and decompositions: det, slogdet, inverse, solve, cholesky, matrix_exp,
pinv, svd, eigh, qr. Each works on batches (…, m, n) through NumPy's LAPACK calls."""

from __future__ import annotations

import math
from collections import namedtuple

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module, arrayfns
from nerve.backend.arrayfns import errstate
from nerve.dtypes import is_floating
from nerve.dtypes_info import finfo
from nerve.tensor import ops_table

__all__ = [
    "LinAlgError", "cholesky", "det", "eigh", "eigvalsh", "inv", "inverse", "linalg_cholesky",
    "linalg_slogdet", "linalg_svd", "logdet", "matrix_exp", "matrix_power", "pinv", "pinverse",
    "qr", "slogdet", "solve", "svd", "svdvals",
]  # fmt: skip

SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
LinalgSlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
SvdResult = namedtuple("svd", ["U", "S", "V"])
LinalgSvdResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
QrResult = namedtuple("linalg_qr", ["Q", "R"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


def _mT(a):  # noqa: N802
    xp = array_module(a)
    return xp.swapaxes(a, -1, -2)


class LinAlgError(RuntimeError):
    """A singular or non-positive-definite input (PyTorch's torch.linalg.LinAlgError)."""


def _square(op, a):
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are "
            f"{a.shape[-2]} by {a.shape[-1]} matrices"
        )
    if not is_floating(a.dtype):
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {_tname(a.dtype)}"
        )


def _tname(dtype):
    return {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(str(dtype), str(dtype))


def _prod_others(s):
    """Π_{j≠i} sⱼ along the last axis, from exclusive cumulative products (no division)."""
    xp = array_module(s)
    ones = xp.ones_like(s[..., :1])
    left = xp.cumprod(xp.concatenate([ones, s[..., :-1]], -1), -1)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(s, -1)[..., :-1]], -1), -1), -1)
    return left * right


class Det(Function):
    """y = det A;  ∂L/∂A = δ · y · A⁻ᵀ (the cofactor matrix).

    For a singular A the cofactors come from the SVD A = U S Vᵀ:
    cof(A) = det(U) det(V) · U diag(Π_{j≠i} sⱼ) Vᵀ."""

    def forward(self, a):
        xp = array_module(a)
        self.a = a
        self.y = xp.linalg.det(a).astype(a.dtype, copy=False)
        return self.y

    def backward(self, dy):
        xp = array_module(dy)
        a, y = self.a, self.y
        if xp.all(y != 0):
            cof = y[..., None, None] * _mT(xp.linalg.inv(a))
        else:
            u, s, vh = xp.linalg.svd(a)
            sign = xp.linalg.det(u) * xp.linalg.det(vh)
            cof = sign[..., None, None] * (u * _prod_others(s)[..., None, :]) @ vh
        return (dy[..., None, None] * cof).astype(a.dtype, copy=False)


class SlogDet(Function):
    """(sign, log|det A|);  ∂L/∂A = δ_logabsdet · A⁻ᵀ (sign is piecewise constant)"""

    def forward(self, a):
        xp = array_module(a)
        self.a = a
        sign, logabs = xp.linalg.slogdet(a)
        return sign.astype(a.dtype, copy=False), logabs.astype(a.dtype, copy=False)

    def backward(self, dsign, dlog):
        xp = array_module(self.a)
        if dlog is None:
            return xp.zeros_like(self.a)
        return dlog[..., None, None] * _mT(xp.linalg.inv(self.a))


class Inverse(Function):
    """Y = A⁻¹;  ∂L/∂A = -Yᵀ δ Yᵀ"""

    def forward(self, a):
        xp = array_module(a)
        try:
            self.y = xp.linalg.inv(a)
        except arrayfns.LinAlgError:
            raise LinAlgError(
                "linalg.inv: The diagonal element is zero, the inversion could "
                "not be completed because the input matrix is singular."
            ) from None
        return self.y

    def backward(self, dy):
        yt = _mT(self.y)
        return -(yt @ dy @ yt)


class Solve(Function):
    """X = A⁻¹ B (A X = B);  ∂L/∂B = A⁻ᵀ δ,  ∂L/∂A = -(∂L/∂B) Xᵀ"""

    def forward(self, a, b):
        xp = array_module(a)
        self.a = a
        try:
            self.x = xp.linalg.solve(a, b)
        except arrayfns.LinAlgError:
            raise LinAlgError(
                "linalg.solve: The solver failed because the input matrix is singular."
            ) from None
        return self.x

    def backward(self, dy):
        xp = array_module(dy)
        db = xp.linalg.solve(_mT(self.a), dy)
        da = -(db @ _mT(self.x)) if self.needs_input_grad[0] else None
        return da, db


class Cholesky(Function):
    """A = L Lᵀ, L lower triangular;  with Φ(X) = the lower triangle of X with the diagonal
    halved:  S = L⁻ᵀ Φ(Lᵀ δ) L⁻¹,  ∂L/∂A = (S + Sᵀ) / 2.  upper=True returns U = Lᵀ."""

    def forward(self, a, upper=False):
        xp = array_module(a)
        self.upper = upper
        try:
            self.l = xp.linalg.cholesky(a)
        except arrayfns.LinAlgError:
            raise LinAlgError(
                "linalg.cholesky: The factorization could not be completed "
                "because the input is not positive-definite."
            ) from None
        return _mT(self.l).copy() if upper else self.l

    def backward(self, dy):
        xp = array_module(dy)
        l = self.l  # noqa: E741 - the factor's usual name
        gl = _mT(dy) if self.upper else dy
        phi = xp.tril(_mT(l) @ gl)
        idx = xp.arange(l.shape[-1])
        phi[..., idx, idx] *= 0.5
        linv = xp.linalg.inv(l)
        s = _mT(linv) @ phi @ linv
        return 0.5 * (s + _mT(s))


def _expm(a):
    """e^A by scaling and squaring: e^A = (e^(A/2ˢ))^(2ˢ) with ‖A/2ˢ‖₁ ≤ 1/2, where a degree-18
    Taylor polynomial is exact to double precision (0.5¹⁹/19! < 1e-22)."""
    xp = array_module(a)
    # the squaring count follows the norm: a host sync on a device
    norm = float(xp.abs(a).sum(-2).max()) if a.size else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / (2.0**s)
    eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    out, term = eye.copy(), eye
    for k in range(1, 19):
        term = (term @ x) / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


class MatrixExp(Function):
    """Y = e^A = Σ Aᵏ/k!;  ∂L/∂A is the adjoint Fréchet derivative at Aᵀ applied to δ, read
    off the upper-right block of exp([[Aᵀ, δ], [0, Aᵀ]])."""

    def forward(self, a):
        self.a = a
        return _expm(a)

    def backward(self, dy):
        xp = array_module(dy)
        n = self.a.shape[-1]
        at = _mT(self.a)
        block = xp.zeros(self.a.shape[:-2] + (2 * n, 2 * n), dy.dtype)
        block[..., :n, :n] = at
        block[..., n:, n:] = at
        block[..., :n, n:] = dy
        return _expm(block)[..., :n, n:]


class Pinv(Function):
    """P = A⁺ (from the SVD, singular values below the cutoff dropped);
    dP = -P dA P + P Pᵀ dAᵀ (I - A P) + (I - P A) dAᵀ Pᵀ P, so
    ∂L/∂A = -Pᵀ δ Pᵀ + (I - A P) δᵀ P Pᵀ + Pᵀ P δᵀ (I - P A)"""

    def forward(self, a, atol=0.0, rtol=None, hermitian=False):
        xp = array_module(a)
        self.a = a
        m, n = a.shape[-2:]
        if rtol is None:
            rtol = finfo(a.dtype).eps * max(m, n) if not atol else 0.0
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        smax = s[..., :1] if s.shape[-1] else s
        keep = s > xp.maximum(atol, rtol * smax)
        with errstate(xp, divide="ignore"):
            sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
        self.p = (_mT(vh) * sinv[..., None, :]) @ _mT(u)
        return self.p.astype(a.dtype, copy=False)

    def backward(self, dy):
        xp = array_module(dy)
        a, p = self.a, self.p
        pt, gt = _mT(p), _mT(dy)
        left = xp.eye(a.shape[-2], dtype=a.dtype) - a @ p
        right = xp.eye(a.shape[-1], dtype=a.dtype) - p @ a
        return -(pt @ dy @ pt) + left @ gt @ p @ pt + pt @ p @ gt @ right


class Svd(Function):
    """A = U diag(S) Vᵀ (reduced: k = min(m, n) columns). With E_ij = S_j² - S_i² (1 on the
    diagonal), skew(X) = X - Xᵀ, J = (skew(Uᵀ δU) S + S skew(Vᵀ δV)) / E + diag(δS):
    ∂L/∂A = U J Vᵀ, plus (I - U Uᵀ) δU S⁻¹ Vᵀ when m > k, or U S⁻¹ δVᵀ (I - V Vᵀ) when n > k."""

    def forward(self, a, full_matrices=False):
        xp = array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        self.u, self.s, self.v = u[..., :k], s, _mT(vh[..., :k, :])
        return u, s.astype(a.dtype, copy=False), _mT(vh)

    def backward(self, du, ds, dv):
        xp = array_module(self.u)
        u, s, v = self.u, self.s, self.v
        k = s.shape[-1]
        m, n = u.shape[-2], v.shape[-2]
        if du is None and dv is None:
            return (u * ds[..., None, :]) @ _mT(v)
        du = xp.zeros_like(u) if du is None else du[..., :k]
        dv = xp.zeros_like(v) if dv is None else dv[..., :k]
        e = s[..., None, :] ** 2 - s[..., :, None] ** 2
        idx = xp.arange(k)
        e[..., idx, idx] = 1
        uu, vv = _mT(u) @ du, _mT(v) @ dv
        j = ((uu - _mT(uu)) * s[..., None, :] + s[..., :, None] * (vv - _mT(vv))) / e
        if ds is not None:
            j[..., idx, idx] += ds
        if m > k:
            dus = du / s[..., None, :]
            return (u @ j + dus - u @ (_mT(u) @ dus)) @ _mT(v)
        if n > k:
            dvs = dv / s[..., None, :]
            return u @ (j @ _mT(v) + _mT(dvs - v @ (_mT(v) @ dvs)))
        return u @ j @ _mT(v)


class Eigh(Function):
    """A = V diag(w) Vᵀ for symmetric A (its ``UPLO`` triangle);  with Fᵢⱼ = 1/(wⱼ - wᵢ)
    (0 on the diagonal):  ∂L/∂A = V (diag(δw) + F ∘ ½(Vᵀ δV - δVᵀ V)) Vᵀ"""

    def forward(self, a, uplo="L"):
        xp = array_module(a)
        self.w, self.v = xp.linalg.eigh(a, UPLO=uplo)
        return self.w.astype(a.dtype, copy=False), self.v

    def backward(self, dw, dv):
        xp = array_module(self.v)
        v, w = self.v, self.w
        n = w.shape[-1]
        idx = xp.arange(n)
        if dv is None:
            j = xp.zeros(v.shape, v.dtype)
        else:
            vv = _mT(v) @ dv
            e = w[..., None, :] - w[..., :, None]
            e[..., idx, idx] = 1
            j = 0.5 * (vv - _mT(vv)) / e
            j[..., idx, idx] = 0
        if dw is not None:
            j[..., idx, idx] += dw
        return v @ j @ _mT(v)


class Qr(Function):
    """A = Q R (Q orthonormal columns, R upper triangular). Forward only: nerve has no QR
    gradient yet, so backward raises."""

    def forward(self, a, mode="reduced"):
        xp = array_module(a)
        q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        return (xp.empty((0,), a.dtype) if mode == "r" else q), r

    def backward(self, dq, dr):
        raise NotImplementedError("linalg.qr: the backward pass is not implemented in nerve")


# ----- wrappers: torch.* spellings and torch.linalg.* spellings -------------------------
def _float(op, a):
    if not is_floating(a.dtype):
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {_tname(a.dtype)}"
        )


def det(A):  # noqa: N803 - PyTorch's argument names
    _square("linalg.det", A._data)
    return Det.apply(A)


def slogdet(A):  # noqa: N803
    _square("linalg.slogdet", A._data)
    return SlogdetResult(*SlogDet.apply(A))


def linalg_slogdet(A):  # noqa: N803
    return LinalgSlogdetResult(*slogdet(A))


def logdet(A):  # noqa: N803
    """log det A: log|det A| where det A > 0, NaN where it is negative, -inf where 0."""
    xp = array_module(A)
    sign, logabs = slogdet(A)
    with errstate(xp, divide="ignore", invalid="ignore"):
        return logabs + xp.log(sign._data)


def inv(A):  # noqa: N803
    _square("linalg.inv", A._data)
    return Inverse.apply(A)


inverse = inv


def solve(A, B, *, left=True):  # noqa: N803
    _square("linalg.solve", A._data)
    if not left:  # X A = B  <=>  Aᵀ Xᵀ = Bᵀ
        return solve(A.mT, B.mT).mT
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found "
            f"A of type {A.dtype} and B of type {B.dtype} instead"
        )
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"AX = B ({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    return Solve.apply(A, B)


def cholesky(A, upper=False):  # noqa: N803
    _square("linalg.cholesky", A._data)
    return Cholesky.apply(A, upper=upper)


def linalg_cholesky(A, *, upper=False, out=None):  # noqa: N803
    return cholesky(A, upper)


def matrix_exp(A):  # noqa: N803
    _square("linalg.matrix_exp", A._data)
    return MatrixExp.apply(A)


def matrix_power(A, n):  # noqa: N803
    """Aⁿ by repeated squaring (n < 0: of A⁻¹; n = 0: the identity)."""
    xp = array_module(A)

    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but "
            f"they are {tuple(A.shape)} matrices"
        )
    if n == 0:
        eye = xp.eye(A.shape[-1], dtype=A.dtype)
        return wrap(xp.broadcast_to(eye, tuple(A.shape)).copy())
    base = inv(A) if n < 0 else A
    n = abs(n)
    out = None
    while n:
        if n & 1:
            out = base if out is None else out @ base
        n >>= 1
        if n:
            base = base @ base
    return out


def pinv(A, *, atol=None, rtol=None, hermitian=False):  # noqa: N803
    _float("linalg.pinv", A._data)
    if hasattr(atol, "item"):
        atol = atol.item()
    if hasattr(rtol, "item"):
        rtol = rtol.item()
    return Pinv.apply(A, atol=atol or 0.0, rtol=rtol, hermitian=hermitian)


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def linalg_svd(A, full_matrices=True, *, driver=None):  # noqa: N803
    _float("linalg.svd", A._data)
    u, s, v = Svd.apply(A, full_matrices=full_matrices)
    return LinalgSvdResult(u, s, v.mT)


def svd(input, some=True, compute_uv=True):
    """torch.svd: U, S, V with A = U diag(S) Vᵀ (V, not Vᵀ); some=False gives square U, V."""
    xp = array_module(input)
    _float("svd", input._data)
    u, s, v = Svd.apply(input, full_matrices=not some)
    if not compute_uv:
        m, n = input.shape[-2:]
        shape = tuple(input.shape[:-2])
        zeros_u = wrap(xp.zeros(shape + (m, m), input.dtype))
        return SvdResult(zeros_u, s, wrap(xp.zeros(shape + (n, n), input.dtype)))
    return SvdResult(u, s, v)


def svdvals(A):  # noqa: N803
    return linalg_svd(A, full_matrices=False).S


def eigh(A, UPLO="L"):  # noqa: N803
    _square("linalg.eigh", A._data)
    return EighResult(*Eigh.apply(A, uplo=UPLO))


def eigvalsh(A, UPLO="L"):  # noqa: N803
    return eigh(A, UPLO).eigenvalues


def qr(A, mode="reduced"):  # noqa: N803
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of "
            "'reduced' (default), 'r', or 'complete'"
        )
    _float("linalg.qr", A._data)
    return QrResult(*Qr.apply(A, mode=mode))


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(cholesky, det, inv, logdet, matrix_exp, matrix_power, pinverse, slogdet, svd)
