"""L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989): a quasi-Newton method that builds the
inverse Hessian from the last few steps, with an optional strong-Wolfe line search."""

from __future__ import annotations

from collections.abc import Callable

from nerve.autograd import grad_mode, versions
from nerve.backend import array_module, to_device
from nerve.optim.line_search import strong_wolfe
from nerve.optim.optimizer import Optimizer, check_nonnegative
from nerve.tensor import Tensor


class LBFGS(Optimizer):
    r"""L-BFGS over all parameters flattened into one vector θ, g = ∇θ L.

    Each ``step(closure)`` runs up to max_iter iterations. With the pairs
    sᵢ = θᵢ₊₁ − θᵢ, yᵢ = gᵢ₊₁ − gᵢ (kept while yᵀs > 1e-10, at most history_size),
    ρᵢ = 1 / yᵢᵀsᵢ and γ = yᵀs / yᵀy of the newest pair, the direction d = −H g comes
    from the two-loop recursion:

        q = −g;  for i newest → oldest:  αᵢ = ρᵢ sᵢᵀq,  q ← q − αᵢ yᵢ
        r = γ q;  for i oldest → newest:  βᵢ = ρᵢ yᵢᵀr,  r ← r + (αᵢ − βᵢ) sᵢ;   d = r

    (d = −g on the first iteration), then θ ← θ + t d with t = lr (the first step
    min(1, 1/‖g‖₁)·lr), or t from a strong-Wolfe line search
    (``line_search_fn='strong_wolfe'``). It stops early when ‖g‖∞ ≤ tolerance_grad, or
    the step or the loss change falls below tolerance_change, or after max_eval
    evaluations. One param group only; the state lives under the first parameter.
    """

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        xp = array_module(self._params[0]._data)
        return xp.concatenate(
            [
                p.grad._data.reshape(-1)
                if p.grad is not None
                else xp.zeros(p._data.size, p._data.dtype)
                for p in self._params
            ]
        )

    def _add_grad(self, t, d) -> None:
        """θ ← θ + t d, d split back into the parameters' shapes."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += t * d[offset : offset + n].reshape(p._data.shape)
            offset += n
        versions.bump_all(self._params)

    def _evaluate(self, closure: Callable) -> float:
        with grad_mode.enable_grad():
            return float(closure())

    def _directional_evaluate(self, closure: Callable, x: list, t, d) -> tuple:
        """Loss and gradient at θ + t d; the parameters are put back to x."""
        self._add_grad(t, d)
        loss = self._evaluate(closure)
        flat_grad = self._gather_flat_grad()
        for p, x_p in zip(self._params, x):
            p._data[...] = x_p
        versions.bump_all(self._params)
        return loss, flat_grad

    def step(self, closure: Callable):  # type: ignore[override]
        """Up to max_iter L-BFGS iterations; ``closure`` clears the gradients, computes
        the loss, calls backward and returns the loss. Returns the first loss."""
        if closure is None:
            raise TypeError(
                "LBFGS.step requires a closure that reevaluates the model and "
                "returns the loss, got None"
            )
        with grad_mode.no_grad():
            return self._step(closure)

    def _step(self, closure: Callable):
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with grad_mode.enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        mem = _Memory.load(state, self._params[0].device)
        self._iterate(closure, group, state, mem, loss, flat_grad)
        mem.save(state)
        return orig_loss

    def _iterate(
        self, closure: Callable, group: dict, state: dict, mem: _Memory, loss: float, flat_grad
    ) -> None:
        lr, max_iter = group["lr"], group["max_iter"]
        tolerance_change, line_search_fn = group["tolerance_change"], group["line_search_fn"]
        evals = 1
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                mem.reset(flat_grad)
            else:
                mem.update(flat_grad, group["history_size"], state)
            mem.prev_flat_grad = flat_grad.copy()
            mem.prev_loss = loss
            mem.t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(mem.d)
            if gtd > -tolerance_change:
                break
            ls_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, mem.t, ls_evals = strong_wolfe(
                    obj_func, x_init, mem.t, mem.d, loss, flat_grad, gtd
                )
                self._add_grad(mem.t, mem.d)
            else:
                self._add_grad(mem.t, mem.d)
                if n_iter != max_iter:
                    loss = self._evaluate(closure)
                    flat_grad = self._gather_flat_grad()
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if (
                n_iter == max_iter
                or evals >= group["max_eval"]
                or (ls_evals and abs(flat_grad).max() <= group["tolerance_grad"])
                or abs(mem.d * mem.t).max() <= tolerance_change
                or abs(loss - mem.prev_loss) < tolerance_change
            ):
                break


class _Memory:
    """The L-BFGS history between steps, as raw arrays; ``load``/``save`` convert from
    and to the state layout of PyTorch (Tensors, lists of Tensors, ``H_diag`` 1 at first)."""

    KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")

    @classmethod
    def load(cls, state: dict, device) -> _Memory:
        """The history on the parameters' ``device`` (a state_dict saved on another
        device keeps its lists of arrays where they were)."""
        mem = cls()
        for key in cls.KEYS:
            setattr(mem, key, _unwrap(state.get(key), device))
        return mem

    def save(self, state: dict) -> None:
        for key in self.KEYS:
            state[key] = _wrap(getattr(self, key))

    def reset(self, flat_grad) -> None:
        self.d = -flat_grad
        self.old_dirs, self.old_stps, self.ro = [], [], []
        self.H_diag = 1

    def update(self, flat_grad, history_size: int, state: dict) -> None:
        """Record the newest (s, y) pair if yᵀs > 1e-10; d = −H g by the two-loop recursion."""
        y = flat_grad - self.prev_flat_grad
        s = self.d * self.t
        ys = y.dot(s)
        if ys > 1e-10:
            if len(self.old_dirs) == history_size:
                del self.old_dirs[0], self.old_stps[0], self.ro[0]
            self.old_dirs.append(y)
            self.old_stps.append(s)
            self.ro.append(1.0 / ys)
            self.H_diag = ys / y.dot(y)
        if "al" not in state:
            state["al"] = [None] * history_size
        al = state["al"]
        q = -flat_grad
        for i in range(len(self.old_dirs) - 1, -1, -1):
            al[i] = self.old_stps[i].dot(q) * self.ro[i]
            q -= al[i] * self.old_dirs[i]
        r = q * self.H_diag
        for i in range(len(self.old_dirs)):
            be_i = self.old_dirs[i].dot(r) * self.ro[i]
            r += (al[i] - be_i) * self.old_stps[i]
        self.d = r
        # the coefficients are kept as 0-d Tensors, as PyTorch keeps them
        state["al"] = [None if a is None else _wrap(a) for a in al]


def _unwrap(value, device):
    if isinstance(value, Tensor):
        data = to_device(value._data, device)
        return data if data.ndim else data[()]
    if isinstance(value, list):
        return [_unwrap(v, device) for v in value]
    return value


def _wrap(value):
    if hasattr(value, "dtype"):  # an array or a NumPy scalar (a 0-d result on the host)
        return Tensor._wrap(array_module(value).array(value))
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value
