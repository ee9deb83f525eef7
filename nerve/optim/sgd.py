"""Stochastic gradient descent, with momentum (heavy ball or Nesterov) and L2 decay."""

from __future__ import annotations

from nerve.optim.optimizer import Optimizer, check_nonnegative, direction, step_method
from nerve.tensor import Tensor


class SGD(Optimizer):
    r"""Stochastic gradient descent (the delta rule, optionally with momentum).

    With g = ±∇θ L + λθ (λ = weight_decay, minus when maximize):

        b₁ = g,   bₜ = μ bₜ₋₁ + (1 − τ) g          (μ = momentum, τ = dampening)
        g ← g + μ bₜ  (nesterov)   or   g ← bₜ  (momentum > 0)
        θ ← θ − η g

    State per parameter: ``momentum_buffer`` (when momentum ≠ 0).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("momentum value", momentum)
        check_nonnegative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    @step_method
    def step(self) -> None:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        for group in self.param_groups:
            params = self._with_grad(group)
            bufs = [self.state[p].get("momentum_buffer") for p in params]
            bufs = [None if b is None else b._data for b in bufs]
            sgd(
                [p._data for p in params],
                [p.grad._data for p in params],
                bufs,
                lr=group["lr"],
                momentum=group["momentum"],
                dampening=group["dampening"],
                weight_decay=group["weight_decay"],
                nesterov=group["nesterov"],
                maximize=group["maximize"],
            )
            if group["momentum"] != 0:
                for p, b in zip(params, bufs):
                    state = self.state[p]
                    if state.get("momentum_buffer") is None:
                        state["momentum_buffer"] = Tensor._wrap(b)


def sgd(
    params: list,
    grads: list,
    momentum_buffer_list: list,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> None:
    """The SGD update of :class:`SGD` on raw arrays, in place. Missing momentum buffers
    (None) are created in ``momentum_buffer_list``."""
    for i, (p, grad) in enumerate(zip(params, grads)):
        d = direction(grad, p, weight_decay, maximize)
        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                buf = momentum_buffer_list[i] = d.copy()
            else:
                buf *= momentum
                buf += d if dampening == 0 else d * (1 - dampening)
            d = d + momentum * buf if nesterov else buf
        p -= d * lr
