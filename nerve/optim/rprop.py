"""Rprop (Riedmiller & Braun, 1993): resilient backpropagation, full-batch sign steps."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    new_step,
    step_method,
    zeros_state,
)
from nerve.tensor import Tensor


class Rprop(Optimizer):
    r"""Rprop. Only the sign of g = ±∇θ L is used; every weight has its own step Δ:

        gₜ gₜ₋₁ > 0:  Δ ← min(η₊ Δ, Δ_max)
        gₜ gₜ₋₁ < 0:  Δ ← max(η₋ Δ, Δ_min),  gₜ ← 0  (no step; the next one starts afresh)
        θ ← θ − sign(gₜ) Δ

    with (η₋, η₊) = etas, (Δ_min, Δ_max) = step_sizes and Δ starting at lr. Made for
    full-batch training. State per parameter: ``step``, ``prev`` (gₜ₋₁), ``step_size`` (Δ).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
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
            params = self._with_grad(group)
            states = [self._init_state(p, group["lr"]) for p in params]
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            rprop(
                [p._data for p in params],
                [p.grad._data for p in params],
                [s["prev"]._data for s in states],
                [s["step_size"]._data for s in states],
                [s["step"]._data for s in states],
                etaminus=etaminus,
                etaplus=etaplus,
                step_size_min=step_size_min,
                step_size_max=step_size_max,
                maximize=group["maximize"],
            )

    def _init_state(self, p, lr: float) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = new_step()
            state["prev"] = zeros_state(p)
            state["step_size"] = Tensor._wrap(array_module(p._data).full_like(p._data, lr))
        return state


def rprop(
    params: list,
    grads: list,
    prevs: list,
    step_sizes: list,
    state_steps: list,
    *,
    etaminus: float,
    etaplus: float,
    step_size_min: float,
    step_size_max: float,
    maximize: bool,
) -> None:
    """The update of :class:`Rprop` on raw arrays, in place."""
    for p, grad, prev, step_size, step_t in zip(params, grads, prevs, step_sizes, state_steps):
        xp = array_module(p)
        step_t += 1
        g = xp.negative(grad) if maximize else grad.copy()
        agreement = xp.sign(g * prev)
        factor = xp.where(agreement > 0, etaplus, xp.where(agreement < 0, etaminus, 1.0))
        # NaN products stay NaN, as the sign of a NaN is NaN
        factor = xp.where(xp.isnan(agreement), agreement, factor).astype(p.dtype, copy=False)
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        # a sign change: skip this step and forget the gradient (compared by value, as
        # PyTorch does, so a factor that happens to equal etaminus counts too)
        g[factor == p.dtype.type(etaminus)] = 0
        p -= xp.sign(g) * step_size
        prev[...] = g
