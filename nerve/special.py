"""``torch.special`` for nerve: special functions under PyTorch's names and signatures.

Most are nerve's own ops under a second name (gammaln is lgamma, psi is digamma, expit
is sigmoid, multigammaln is mvlgamma); the rest live in nerve/ops/math/special.py. All
are differentiable where PyTorch's are; ``zeta`` is not (PyTorch has no derivative for
it either). ``modified_bessel_i0``/``_i1`` are i0/i1 (PyTorch's are not differentiable;
nerve's are).
"""

from __future__ import annotations

import numpy as np

from nerve.functional.compare import round as _round
from nerve.ops.math.elementary import erf as _erf
from nerve.ops.math.elementary import expm1 as _expm1
from nerve.ops.math.elementary import log1p as _log1p
from nerve.ops.math.special import (
    entr,
    erfcx,
    hurwitz_zeta,
    i0e,
    i1,
    i1e,
    log_ndtr,
    ndtr,
    ndtri,
    xlog1py,
)
from nerve.ops.math.transcendental import (
    digamma,
    erfc,
    erfinv,
    exp2,
    i0,
    lgamma,
    logit,
    mvlgamma,
    no_out,
    polygamma,
    sinc,
    xlogy,
)
from nerve.ops.math.transcendental_binary import binary_float as _binary_float
from nerve.ops.nn import activation as _activation
from nerve.ops.reduce.reductions import logsumexp as _logsumexp
from nerve.tensor import Tensor

gammaln = lgamma
psi = digamma
modified_bessel_i0 = i0
modified_bessel_i1 = i1

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
    "zeta",
]


def erf(input, *, out=None):  # noqa: A002 - PyTorch's argument names
    no_out(out, "erf")
    return _erf(input)


def expm1(input, *, out=None):
    no_out(out, "expm1")
    return _expm1(input)


def log1p(input, *, out=None):
    no_out(out, "log1p")
    return _log1p(input)


def expit(input, *, out=None):
    """σ(x) = 1 / (1 + e⁻ˣ) (nerve.sigmoid)."""
    no_out(out, "expit")
    return _activation.sigmoid(input)


def multigammaln(input, p: int, *, out=None):
    """ln Γₚ(x), the multivariate log-gamma (nerve.mvlgamma)."""
    return mvlgamma(input, p, out=out)


def round(input, *, decimals: int = 0, out=None):  # noqa: A001, A002
    return _round(input, decimals=decimals, out=out)


def softmax(input, dim: int, *, dtype=None):
    return _activation.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim: int, *, dtype=None):
    return _activation.log_softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim: bool = False, *, out=None):
    no_out(out, "logsumexp")
    return _logsumexp(input, dim, keepdim)


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function ζ(x, q) = Σₖ (k + q)⁻ˣ (ζ(x, 1) is Riemann's), elementwise
    over broadcast input x and other q. Not differentiable (as PyTorch)."""
    no_out(out, "zeta")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("zeta: expected at least one tensor argument")
    x, q = _binary_float(*(v._data if isinstance(v, Tensor) else v for v in (input, other)))
    return Tensor._wrap(hurwitz_zeta(x, q).astype(np.result_type(x, q), copy=False))
