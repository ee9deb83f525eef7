"""RMSprop (Hinton, lecture 6e): divide the gradient by a running RMS of its size."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.dtypes import float64
from nerve.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    direction,
    lerp_,
    new_step,
    step_method,
    zeros_state,
)


class RMSprop(Optimizer):
    r"""RMSprop. With g = ±∇θ L + λθ:

        vₜ = α vₜ₋₁ + (1 − α) g²
        centered:  ḡₜ = α ḡₜ₋₁ + (1 − α) g,   s = √(vₜ − ḡₜ²) + ε;   else s = √vₜ + ε
        momentum:  bₜ = μ bₜ₋₁ + g / s,  θ ← θ − η bₜ;          else θ ← θ − η g / s

    State per parameter: ``step``, ``square_avg`` (+ ``momentum_buffer``, ``grad_avg``).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        check_nonnegative("momentum value", momentum)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("alpha value", alpha)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            params = self._with_grad(group)
            states = [self._init_state(p, group) for p in params]
            rmsprop(
                [p._data for p in params],
                [p.grad._data for p in params],
                [s["square_avg"]._data for s in states],
                [s["grad_avg"]._data if group["centered"] else None for s in states],
                [s["momentum_buffer"]._data if group["momentum"] > 0 else None for s in states],
                [s["step"]._data for s in states],
                lr=group["lr"],
                alpha=group["alpha"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                momentum=group["momentum"],
                centered=group["centered"],
                maximize=group["maximize"],
            )

    def _init_state(self, p, group: dict) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = new_step()
            state["square_avg"] = zeros_state(p)
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = zeros_state(p)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = zeros_state(p)
        return state


def rmsprop(
    params: list,
    grads: list,
    square_avgs: list,
    grad_avgs: list,
    momentum_buffer_list: list,
    state_steps: list,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """The update of :class:`RMSprop` on raw arrays, in place."""
    for i, (p, grad) in enumerate(zip(params, grads)):
        xp = array_module(p)
        state_steps[i] += 1
        d = direction(grad, p, weight_decay, maximize)
        v = square_avgs[i]
        v *= alpha
        tmp = xp.multiply(d, d)
        tmp *= 1 - alpha
        v += tmp
        if centered:
            g_avg = grad_avgs[i]
            lerp_(g_avg, d, xp.subtract(d, g_avg, out=tmp), 1 - alpha)
            # v − ḡ² cancels when the gradient barely varies: square in float64 (exact
            # for float32) so that only the difference is rounded, as a fused multiply-add
            xp.subtract(v, xp.square(g_avg, dtype=float64), out=tmp, casting="same_kind")
            xp.maximum(tmp, 0, out=tmp)  # a rounding below 0 would make the sqrt NaN
            avg = xp.sqrt(tmp, out=tmp)
        else:
            avg = xp.sqrt(v, out=tmp)
        avg += eps
        xp.divide(d, avg, out=tmp)
        if momentum > 0:
            buf = momentum_buffer_list[i]
            buf *= momentum
            buf += tmp
            tmp = xp.multiply(buf, lr, out=tmp)
        else:
            tmp *= lr
        p -= tmp
