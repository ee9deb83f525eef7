"""Adagrad (Duchi et al., 2011): per-weight step sizes from the summed squared gradients."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.optim.optimizer import Optimizer, check_nonnegative, direction, new_step, step_method
from nerve.tensor import Tensor


class Adagrad(Optimizer):
    r"""Adagrad. With g = ±∇θ L + λθ at step t:

        η̃ = η / (1 + (t − 1) κ)        (κ = lr_decay)
        sₜ = sₜ₋₁ + g²,   s₀ = initial_accumulator_value
        θ ← θ − η̃ g / (√sₜ + ε)

    State per parameter (created at construction, as PyTorch does): ``step``, ``sum``.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("lr_decay value", lr_decay)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("initial_accumulator_value value", initial_accumulator_value)
        check_nonnegative("epsilon value", eps)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = new_step()
                init = group["initial_accumulator_value"]
                state["sum"] = Tensor._wrap(array_module(p._data).full_like(p._data, init))

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            params = self._with_grad(group)
            states = [self.state[p] for p in params]
            adagrad(
                [p._data for p in params],
                [p.grad._data for p in params],
                [s["sum"]._data for s in states],
                [s["step"]._data for s in states],
                lr=group["lr"],
                weight_decay=group["weight_decay"],
                lr_decay=group["lr_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
            )


def adagrad(
    params: list,
    grads: list,
    state_sums: list,
    state_steps: list,
    *,
    lr: float,
    weight_decay: float,
    lr_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """The update of :class:`Adagrad` on raw arrays, in place."""
    for p, grad, s, step_t in zip(params, grads, state_sums, state_steps):
        xp = array_module(p)
        step_t += 1
        d = direction(grad, p, weight_decay, maximize)
        clr = lr / (1 + (float(step_t) - 1) * lr_decay)
        tmp = xp.multiply(d, d)
        s += tmp
        std = xp.sqrt(s, out=tmp)
        std += eps
        xp.divide(d, std, out=tmp)
        tmp *= clr
        p -= tmp
