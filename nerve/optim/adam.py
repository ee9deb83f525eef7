"""Adam: adaptive moment estimation (Kingma & Ba, 2015), with AMSGrad and decoupled
weight decay as options."""

from __future__ import annotations

import math

from nerve.backend import array_module
from nerve.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    decayed_direction,
    moments_,
    new_step,
    step_method,
    zeros_state,
)


def check_adam_args(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    check_nonnegative("learning rate", lr)
    check_nonnegative("epsilon value", eps)
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    check_nonnegative("weight_decay value", weight_decay)


class Adam(Optimizer):
    r"""Adam. With g = ±∇θ L (+ λθ unless the decay is decoupled), at step t:

        mₜ = β₁ mₜ₋₁ + (1 − β₁) g,        vₜ = β₂ vₜ₋₁ + (1 − β₂) g²
        v̂ = max(v̂ₜ₋₁, vₜ) (amsgrad)  or  vₜ
        θ ← θ − η / (1 − β₁ᵗ) · mₜ / (√v̂ / √(1 − β₂ᵗ) + ε)

    Decoupled weight decay (AdamW) first shrinks θ ← θ (1 − ηλ) instead.
    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq`` (+ ``max_exp_avg_sq``).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            params = self._with_grad(group)
            states = [self._init_state(p, group["amsgrad"]) for p in params]
            beta1, beta2 = group["betas"]
            adam(
                [p._data for p in params],
                [p.grad._data for p in params],
                [s["exp_avg"]._data for s in states],
                [s["exp_avg_sq"]._data for s in states],
                [s["max_exp_avg_sq"]._data if group["amsgrad"] else None for s in states],
                [s["step"]._data for s in states],
                amsgrad=group["amsgrad"],
                beta1=beta1,
                beta2=beta2,
                lr=group["lr"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
            )

    def _init_state(self, p, amsgrad: bool) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = new_step()
            state["exp_avg"] = zeros_state(p)
            state["exp_avg_sq"] = zeros_state(p)
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_state(p)
        elif amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = zeros_state(p)
        return state


def adam(
    params: list,
    grads: list,
    exp_avgs: list,
    exp_avg_sqs: list,
    max_exp_avg_sqs: list,
    state_steps: list,
    *,
    amsgrad: bool,
    beta1: float,
    beta2: float,
    lr: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
    decoupled_weight_decay: bool = False,
) -> None:
    """The update of :class:`Adam` / :class:`AdamW` on raw arrays, in place (the step
    counters, 0-d arrays, are incremented)."""
    for i, (p, grad) in enumerate(zip(params, grads)):
        xp = array_module(p)
        step_t = state_steps[i]
        step_t += 1
        step = float(step_t)
        d = decayed_direction(grad, p, lr, weight_decay, decoupled_weight_decay, maximize)
        m, v = exp_avgs[i], exp_avg_sqs[i]
        delta = moments_(m, v, d, beta1, beta2)
        if amsgrad:
            xp.maximum(max_exp_avg_sqs[i], v, out=max_exp_avg_sqs[i])
            v = max_exp_avg_sqs[i]
        step_size = lr / (1 - beta1**step)
        denom = xp.sqrt(v, out=delta)
        denom /= math.sqrt(1 - beta2**step)
        denom += eps
        xp.divide(m, denom, out=denom)
        denom *= step_size
        p -= denom
