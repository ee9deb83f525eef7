"""Optimizer: parameter groups, per-parameter state and their state_dict.

As in PyTorch, the optimizer class keeps the state and a plain function per
algorithm does the arithmetic on raw arrays, updating the parameters in place.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from nerve import bf16_dtype
from nerve.autograd import grad_mode, versions
from nerve.backend import array_module, to_device
from nerve.dtypes import is_floating
from nerve.optim.bf16_update import float32_update
from nerve.tensor import Tensor


class _RequiredParameter:
    """Marks a default that every parameter group must set itself (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def step_method(step: Callable) -> Callable:
    """Wrap an optimizer's ``step``: the closure runs in grad mode, the update under
    no_grad (in float32 for bfloat16 parameters: nerve/optim/bf16_update.py), and the
    closure's loss is returned; the updated parameters' versions go up by one."""

    @functools.wraps(step)
    def wrapper(self, closure=None):
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        with grad_mode.no_grad():
            if bf16_dtype.used():
                with float32_update(self):
                    step(self)
            else:
                step(self)
        # the update wrote the parameters in place: their versions go up, as in PyTorch
        versions.bump_all([p for g in self.param_groups for p in g["params"] if p.grad is not None])
        return loss

    return wrapper


class Optimizer:
    """Base class of the optimizers: ``param_groups`` (a list of dicts whose missing
    options are filled from ``defaults``) and ``state`` (a dict per parameter)."""

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of "
                f"Tensors or dicts, but got {_typename(params)}"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a smaller lr)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, "
                "but the ordering of tensors in sets will change between runs. "
                "Please use a list instead."
            )
        params = list(params)
        group = dict(param_group)
        if params and all(isinstance(p, tuple) for p in params):
            group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        group["params"] = params
        _check_params(params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    "parameter group didn't specify a value of required "
                    f"optimization parameter {name}"
                )
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error",
                stacklevel=3,
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    # a fresh array: the engine may have handed over one that is shared
                    # or read-only (a broadcast view), which fill(0) would corrupt or fail on
                    p.grad._data = array_module(p.grad._data).zeros_like(p.grad._data)

    def step(self, closure: Callable | None = None):
        raise NotImplementedError

    def _with_grad(self, group: dict[str, Any]) -> list[Tensor]:
        """The group's parameters that have a gradient (the others are skipped)."""
        params = [p for p in group["params"] if p.grad is not None]
        for p in params:
            if not isinstance(p.grad, Tensor):
                raise TypeError(
                    f"{type(self).__name__}.step: a parameter's .grad must be a "
                    f"Tensor or None, got {type(p.grad).__name__}"
                )
            if p.grad._data.shape != p._data.shape:
                raise RuntimeError(
                    f"{type(self).__name__}.step: a parameter of shape "
                    f"{tuple(p.shape)} has a gradient of shape "
                    f"{tuple(p.grad.shape)}"
                )
        return params

    def _arrays(self, group: dict[str, Any], fresh: Callable, *names: str) -> tuple:
        """The raw arrays a functional update takes: the params with a gradient, their
        gradients, then one list per state entry in ``names``; ``fresh(p)`` is the state
        of a parameter seen for the first time (its key order is the state_dict's)."""
        params = self._with_grad(group)
        states = []
        for p in params:
            state = self.state[p]
            if not state:
                state.update(fresh(p))
            states.append(state)
        return (
            [p._data for p in params],
            [p.grad._data for p in params],
            *([s[n]._data for s in states] for n in names),
        )

    # ----- state_dict ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``;
        parameters are numbered in the order of the groups, as in PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)] if isinstance(p, Tensor) else p: v for p, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state_dict (values may be nerve Tensors or arrays); values are copied
        and floating-point state is cast to its parameter's dtype ('step' excepted)."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't "
                    "match the size of optimizer's group"
                )
        id_map = {
            old: p
            for group, saved in zip(self.param_groups, saved_groups)
            for old, p in zip(saved["params"], group["params"])
        }
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = {k: _cast(param, v, k) for k, v in value.items()}
            else:
                state[key] = copy.deepcopy(value)
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                if default is not required:
                    saved.setdefault(name, default)
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


def _check_params(params: list) -> None:
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(
                "optimizer can only optimize Tensors, but one of the params is " + _typename(p)
            )
        if not p.is_leaf:
            raise ValueError("can't optimize a non-leaf Tensor")


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "nerve.FloatTensor" if obj.dtype == np.float32 else f"nerve.Tensor[{obj.dtype}]"
    return type(obj).__name__


def _cast(param: Tensor, value, key: str):
    """Copy one loaded state value into a nerve Tensor of the parameter's dtype, on the
    parameter's device (the step count stays on the host, as PyTorch keeps it)."""
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, Tensor):
        arr = value._host()
    elif hasattr(value, "__array__") or (key == "step" and isinstance(value, int | float)):
        # a torch tensor converts through __array__ without importing torch here
        arr = np.asarray(value) if key != "step" else np.asarray(value, np.float32)
    else:
        return copy.deepcopy(value)
    arr = np.array(arr, copy=True)
    if key != "step" and is_floating(arr.dtype) and is_floating(param._data.dtype):
        arr = arr.astype(param._data.dtype, copy=False)
    return Tensor._wrap(arr if key == "step" else to_device(arr, param.device))


def check_nonnegative(name: str, value: float) -> None:
    """PyTorch's argument checks, e.g. ``ValueError('Invalid learning rate: -1')``."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name}: {value}")


def direction(
    grad: np.ndarray, param: np.ndarray, weight_decay: float, maximize: bool
) -> np.ndarray:
    """The (possibly negated) gradient plus L2 weight decay, ``±g + λθ``.

    Returns ``grad`` itself when there is nothing to add: callers must not write into
    the result unless it is a fresh array (``result is not grad``).
    """
    xp = array_module(grad)
    if weight_decay == 0:
        return xp.negative(grad) if maximize else grad
    out = xp.multiply(param, weight_decay)
    return xp.subtract(out, grad, out=out) if maximize else xp.add(out, grad, out=out)


def decayed_direction(
    grad: np.ndarray,
    param: np.ndarray,
    lr: float,
    weight_decay: float,
    decoupled: bool,
    maximize: bool,
) -> np.ndarray:
    """Decoupled weight decay θ ← θ(1 - ηλ) applied to ``param`` in place (AdamW's), then
    the plain direction ±g; or, coupled, the L2 direction ±g + λθ."""
    if decoupled:
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        return direction(grad, param, 0, maximize)
    return direction(grad, param, weight_decay, maximize)


def moments_(m: np.ndarray, v: np.ndarray, d: np.ndarray, beta1: float, beta2: float) -> np.ndarray:
    """Adam's moment estimates in place: m ← β₁m + (1-β₁)d,  v ← β₂v + (1-β₂)d²;
    returns a scratch array of d's shape."""
    xp = array_module(d)
    tmp = xp.subtract(d, m)
    lerp_(m, d, tmp, 1 - beta1)
    v *= beta2
    xp.multiply(d, d, out=tmp)
    tmp *= 1 - beta2
    v += tmp
    return tmp


def lerp_(m: np.ndarray, d: np.ndarray, delta: np.ndarray, w: float) -> None:
    """m ← m + w (d − m), given delta = d − m (overwritten). Like PyTorch's lerp it
    measures from the nearer end, so that the roundings agree with it."""
    if w < 0.5:
        delta *= w
        m += delta
    else:
        delta *= w - 1
        array_module(d).add(d, delta, out=m)


def new_step() -> Tensor:
    return Tensor._wrap(np.zeros((), np.float32))


def zeros_state(p: Tensor) -> Tensor:
    return Tensor._wrap(array_module(p._data).zeros_like(p._data))
