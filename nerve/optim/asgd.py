"""ASGD (Polyak & Juditsky, 1992): SGD with a decaying step and a running average of
the iterates, which is the estimate to use at the end."""

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
from nerve.optim.scalar_state import host_scalar


class ASGD(Optimizer):
    r"""Averaged SGD. With g = ±∇θ L + λθ at step t (λ = weight_decay, κ = lambd):

        θ ← θ (1 − κ ηₜ) − ηₜ g
        θ̄ ← θ̄ + μₜ (θ − θ̄)                 (θ̄ = θ while μₜ = 1)
        ηₜ₊₁ = η / (1 + κ η t)^α,   μₜ₊₁ = 1 / max(1, t − t₀)

    The average θ̄ (``ax``) starts after t₀ steps. State per parameter: ``step``,
    ``eta`` and ``mu`` (float32 scalars, as PyTorch keeps them), ``ax``.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
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

            def fresh(p, lr=group["lr"]):
                return {
                    "step": new_step(),
                    "eta": host_scalar(lr),
                    "mu": host_scalar(1.0),
                    "ax": zeros_state(p),
                }

            asgd(
                *self._arrays(group, fresh, "ax", "eta", "mu", "step"),
                lr=group["lr"],
                lambd=group["lambd"],
                alpha=group["alpha"],
                t0=group["t0"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )


def asgd(
    params: list,
    grads: list,
    axs: list,
    etas: list,
    mus: list,
    state_steps: list,
    *,
    lr: float,
    lambd: float,
    alpha: float,
    t0: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """The update of :class:`ASGD` on raw arrays, in place (eta and mu are 0-d arrays,
    read as Python floats: kept on the host like the step count, so no device sync)."""
    for p, grad, ax, eta, mu, step_t in zip(params, grads, axs, etas, mus, state_steps):
        step_t += 1
        step = float(step_t)
        d = direction(grad, p, weight_decay, maximize)
        eta_value = float(eta)
        p *= 1 - lambd * eta_value
        p -= d * eta_value
        if float(mu) != 1:
            diff = array_module(p).subtract(p, ax)
            diff *= float(mu)
            ax += diff
        else:
            ax[...] = p
        eta[...] = lr / ((1 + lambd * lr * step) ** alpha)
        mu[...] = 1 / max(1, step - t0)
