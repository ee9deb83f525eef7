"""Adadelta (Zeiler, 2012): step sizes from running averages of gradients and updates."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    direction,
    new_step,
    step_method,
    zeros_state,
)


class Adadelta(Optimizer):
    r"""Adadelta. With g = ±∇θ L + λθ at every step:

        vₜ = ρ vₜ₋₁ + (1 − ρ) g²
        Δₜ = √(uₜ₋₁ + ε) / √(vₜ + ε) · g
        uₜ = ρ uₜ₋₁ + (1 − ρ) Δₜ²
        θ ← θ − η Δₜ

    The ratio of the two running RMS values gives the update the units of θ, so the
    default lr is 1. State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative("epsilon value", eps)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            adadelta(
                *self._arrays(group, self._fresh, "square_avg", "acc_delta", "step"),
                lr=group["lr"],
                rho=group["rho"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )

    @staticmethod
    def _fresh(p) -> dict:
        return {"step": new_step(), "square_avg": zeros_state(p), "acc_delta": zeros_state(p)}


def adadelta(
    params: list,
    grads: list,
    square_avgs: list,
    acc_deltas: list,
    state_steps: list,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """The update of :class:`Adadelta` on raw arrays, in place."""
    for p, grad, v, u, step_t in zip(params, grads, square_avgs, acc_deltas, state_steps):
        xp = array_module(p)
        step_t += 1
        d = direction(grad, p, weight_decay, maximize)
        v *= rho
        tmp = xp.multiply(d, d)
        tmp *= 1 - rho
        v += tmp
        std = xp.add(v, eps, out=tmp)
        xp.sqrt(std, out=std)
        delta = xp.add(u, eps)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= d
        u *= rho
        xp.multiply(delta, delta, out=tmp)
        tmp *= 1 - rho
        u += tmp
        delta *= lr
        p -= delta
