"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a warming-up momentum schedule."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.dtypes import float32
from nerve.optim.adam import check_adam_args
from nerve.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    decayed_direction,
    moments_,
    new_step,
    step_method,
    zeros_state,
)
from nerve.optim.scalar_state import host_scalar


class NAdam(Optimizer):
    r"""NAdam. With g = ±∇θ L (+ λθ unless the decay is decoupled) at step t and
    ψ = momentum_decay:

        μₜ = β₁ (1 − ½ · 0.96^(tψ)),    Πₜ = μ₁ μ₂ … μₜ
        mₜ = β₁ mₜ₋₁ + (1 − β₁) g,       vₜ = β₂ vₜ₋₁ + (1 − β₂) g²
        s = √(vₜ / (1 − β₂ᵗ)) + ε
        θ ← θ − η (1 − μₜ)/(1 − Πₜ) · g / s − η μₜ₊₁/(1 − Πₜ μₜ₊₁) · mₜ / s

    Decoupled weight decay first shrinks θ ← θ (1 − ηλ) instead. State per parameter:
    ``step``, ``mu_product`` (Πₜ, a float32 scalar as in PyTorch), ``exp_avg``,
    ``exp_avg_sq``.
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_adam_args(lr, betas, eps, weight_decay)
        check_nonnegative("momentum_decay value", momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            nadam(
                *self._arrays(group, self._fresh, "exp_avg", "exp_avg_sq", "mu_product", "step"),
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                momentum_decay=group["momentum_decay"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )

    @staticmethod
    def _fresh(p) -> dict:
        return {
            "step": new_step(),
            "mu_product": host_scalar(1.0),
            "exp_avg": zeros_state(p),
            "exp_avg_sq": zeros_state(p),
        }


def nadam(
    params: list,
    grads: list,
    exp_avgs: list,
    exp_avg_sqs: list,
    mu_products: list,
    state_steps: list,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """The update of :class:`NAdam` on raw arrays, in place."""
    for i, (p, grad) in enumerate(zip(params, grads)):
        xp = array_module(p)
        state_steps[i] += 1
        step = float(state_steps[i])
        d = decayed_direction(grad, p, lr, weight_decay, decoupled_weight_decay, maximize)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        # the product is kept in float32, as PyTorch keeps it, and read back as a double
        mu_products[i] *= float32.type(mu)
        mu_product = float(mu_products[i])
        m, v = exp_avgs[i], exp_avg_sqs[i]
        tmp = moments_(m, v, d, beta1, beta2)
        denom = xp.divide(v, 1 - beta2**step, out=tmp)
        xp.sqrt(denom, out=denom)
        denom += eps
        p -= xp.divide(d, denom) * (lr * (1.0 - mu) / (1.0 - mu_product))
        xp.divide(m, denom, out=denom)
        denom *= lr * mu_next / (1.0 - mu_product * mu_next)
        p -= denom
