"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm in place of v."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.optim.adam import check_adam_args
from nerve.optim.optimizer import (
    Optimizer,
    direction,
    lerp_,
    new_step,
    step_method,
    zeros_state,
)


class Adamax(Optimizer):
    r"""Adamax. With g = ±∇θ L + λθ at step t:

        mₜ = β₁ mₜ₋₁ + (1 − β₁) g
        uₜ = max(β₂ uₜ₋₁, |g| + ε)
        θ ← θ − η / (1 − β₁ᵗ) · mₜ / uₜ

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            adamax(
                *self._arrays(group, self._fresh, "exp_avg", "exp_inf", "step"),
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )

    @staticmethod
    def _fresh(p) -> dict:
        return {"step": new_step(), "exp_avg": zeros_state(p), "exp_inf": zeros_state(p)}


def adamax(
    params: list,
    grads: list,
    exp_avgs: list,
    exp_infs: list,
    state_steps: list,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """The update of :class:`Adamax` on raw arrays, in place."""
    for p, grad, m, u, step_t in zip(params, grads, exp_avgs, exp_infs, state_steps):
        xp = array_module(p)
        step_t += 1
        d = direction(grad, p, weight_decay, maximize)
        lerp_(m, d, xp.subtract(d, m), 1 - beta1)
        u *= beta2
        tmp = xp.abs(d)
        tmp += eps
        xp.maximum(u, tmp, out=u)
        clr = lr / (1 - beta1 ** float(step_t))
        xp.divide(m, u, out=tmp)
        tmp *= clr
        p -= tmp
