"""RAdam (Liu et al., 2020): Adam whose adaptive step is switched on, and rectified,
only once the variance of the second-moment estimate is tractable."""

from __future__ import annotations

import math

from nerve.backend import array_module
from nerve.optim.adam import check_adam_args
from nerve.optim.optimizer import (
    Optimizer,
    decayed_direction,
    moments_,
    new_step,
    step_method,
    zeros_state,
)


class RAdam(Optimizer):
    r"""RAdam. With g = ±∇θ L (+ λθ unless the decay is decoupled) at step t:

        mₜ = β₁ mₜ₋₁ + (1 − β₁) g,       vₜ = β₂ vₜ₋₁ + (1 − β₂) g²
        m̂ = mₜ / (1 − β₁ᵗ),   ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2t β₂ᵗ / (1 − β₂ᵗ)
        ρₜ > 5:  rₜ = √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ)),
                 θ ← θ − η m̂ · √(1 − β₂ᵗ) / (√vₜ + ε) · rₜ
        else:    θ ← θ − η m̂                     (SGD with momentum while ρₜ is small)

    Decoupled weight decay first shrinks θ ← θ (1 − ηλ) instead. State per parameter:
    ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            radam(
                *self._arrays(group, self._fresh, "exp_avg", "exp_avg_sq", "step"),
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )

    @staticmethod
    def _fresh(p) -> dict:
        return {"step": new_step(), "exp_avg": zeros_state(p), "exp_avg_sq": zeros_state(p)}


def radam(
    params: list,
    grads: list,
    exp_avgs: list,
    exp_avg_sqs: list,
    state_steps: list,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """The update of :class:`RAdam` on raw arrays, in place."""
    for i, (p, grad) in enumerate(zip(params, grads)):
        xp = array_module(p)
        state_steps[i] += 1
        step = float(state_steps[i])
        d = decayed_direction(grad, p, lr, weight_decay, decoupled_weight_decay, maximize)
        m, v = exp_avgs[i], exp_avg_sqs[i]
        tmp = moments_(m, v, d, beta1, beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = xp.divide(m, bias_correction1)
        update *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            denom = xp.sqrt(v, out=tmp)
            denom += eps
            # √(1 − β₂ᵗ) / (√v + ε), the adaptive lr
            xp.divide(bias_correction2**0.5, denom, out=denom)
            update *= denom
            update *= rect
        p -= update
