"""KL divergence KL(p ‖ q) = E_p[log p − log q] between pairs of distributions.

``register_kl(P, Q)`` registers a closed form; ``kl_divergence`` picks the most specific
registered pair for the two argument types (as ``torch.distributions.kl``).
"""

from __future__ import annotations

from nerve import creation, linalg
from nerve.distributions.bernoulli import Bernoulli
from nerve.distributions.categorical import Categorical
from nerve.distributions.distribution import sum_rightmost
from nerve.distributions.exponential import Exponential
from nerve.distributions.independent import Independent
from nerve.distributions.multivariate_normal import MultivariateNormal, batch_mahalanobis
from nerve.distributions.normal import Normal
from nerve.distributions.one_hot_categorical import OneHotCategorical
from nerve.nn import functional as F
from nerve.ops.shape.dims import broadcast_shapes

_KL_REGISTRY: dict = {}
_KL_MEMO: dict = {}


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as KL(p ‖ q) for instances of the two types."""
    if not (isinstance(type_p, type) and isinstance(type_q, type)):
        raise TypeError("Expected type_p and type_q to be Distribution subclasses")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMO.clear()
        return fn

    return decorator


def _dispatch(type_p, type_q):
    matches = [(p, q) for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None

    def rank(pair):  # closer ancestors first: position in each MRO
        return (type_p.__mro__.index(pair[0]), type_q.__mro__.index(pair[1]))

    return _KL_REGISTRY[min(matches, key=rank)]


def kl_divergence(p, q):
    """KL(p ‖ q), batched over the batch shape; NotImplementedError for an unregistered pair."""
    key = (type(p), type(q))
    if key not in _KL_MEMO:
        _KL_MEMO[key] = _dispatch(*key)
    fn = _KL_MEMO[key]
    if fn is None:
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p type "
            f"{type(p).__name__} and q type {type(q).__name__}"
        )
    return fn(p, q)


def _inf_where(mask, value):
    return creation.full_like(value, float("inf")).where(mask, value)


def _zero_where(mask, value):
    return creation.zeros_like(value).where(mask, value)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    """½ (σₚ²/σ_q² + (μₚ − μ_q)²/σ_q² − 1 − log σₚ²/σ_q²)."""
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    """pₚ log(pₚ/p_q) + (1 − pₚ) log((1 − pₚ)/(1 − p_q)), through softplus of the logits."""
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = _zero_where(p.probs == 0, _inf_where(q.probs == 0, t1))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = _zero_where(p.probs == 1, _inf_where(q.probs == 1, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    """Σₖ pₖ (log pₖ − log qₖ); +inf where qₖ = 0 < pₖ, terms with pₖ = 0 count 0."""
    t = p.probs * (p.logits - q.logits)
    shape = tuple(t.shape)
    t = _inf_where((q.probs == 0).expand(shape), t)
    t = _zero_where((p.probs == 0).expand(shape), t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    """log λₚ − log λ_q + λ_q/λₚ − 1."""
    rate_ratio = q.rate / p.rate
    return rate_ratio - 1 - rate_ratio.log()


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    """½ (tr(Σ_q⁻¹ Σₚ) + ‖L_q⁻¹(μ_q − μₚ)‖² − n) + Σ log diag L_q − Σ log diag Lₚ,
    with tr(Σ_q⁻¹ Σₚ) = ‖L_q⁻¹ Lₚ‖²_F."""
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different "
            "event shapes cannot be computed"
        )
    n = p.event_shape[0]
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = lq.diagonal(0, -2, -1).log().sum(-1) - lp.diagonal(0, -2, -1).log().sum(-1)
    lead = broadcast_shapes(tuple(lp.shape[:-2]), tuple(lq.shape[:-2]))
    lq_b = lq.tril().expand(tuple(lead) + (n, n))
    term2 = linalg.solve(lq_b, lp.expand(tuple(lead) + (n, n))).pow(2)
    term2 = term2.reshape(tuple(lead) + (-1,)).sum(-1)
    term3 = batch_mahalanobis(lq, q.loc - p.loc)
    out = half_term1 + 0.5 * (term2 + term3 - n)
    return out.expand(tuple(p.batch_shape)) if len(p.batch_shape) else out
