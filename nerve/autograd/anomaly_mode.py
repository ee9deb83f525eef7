"""Anomaly mode: find the op (and the layer) that first produced a NaN or an Inf.

The core of ``nerve.autograd.detect_anomaly`` (PyTorch's, torch.autograd.anomaly_mode's
path) and of ``nerve.diagnostics.detect_anomaly`` (which adds the layer and a record
mode). Two pieces:

- :class:`OpWatch` installs the observer of ``Function.apply`` (nerve/autograd/function.py)
  and, given a model, forward (pre-)hooks on its modules, so each op is attributed to the
  innermost module running at that moment ("fc2 (Linear)"). Only one watch is active at a
  time; the backprop trace (nerve/diagnostics/trace.py) is one too.
- :class:`AnomalyMode` checks every op's forward output: the first one that is not finite
  although all its inputs are raises :class:`AnomalyError` naming the op, the layer and
  the inputs' ranges. Each node's backward is checked the same way ("SigmoidBackward
  returned nan for input 0"). With ``raise_error=False`` the first anomaly is only
  recorded in ``.first``. Costs one finiteness test per op while on, nothing when off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nerve.dtypes import is_floating


def _function():
    # function.py imports Tensor, which imports this package: it is looked up on use
    from nerve.autograd import function

    return function


class OpWatch:
    """Context manager: calls ``on_op(fn, inputs, out, layer)`` for every op applied.

    ``layer`` is the label of the innermost running module of ``model`` (None outside
    any, or without a model). The model is used through ``named_modules`` and its
    forward hooks only.
    """

    def __init__(self, on_op, model=None) -> None:
        self.on_op, self.model = on_op, model
        self._stack: list[str] = []
        self._handles: list = []

    def __enter__(self) -> OpWatch:
        function = _function()
        if function._observer is not None:
            raise RuntimeError(
                "nerve.diagnostics: another anomaly mode or backprop trace is "
                "already active; nest them one at a time"
            )
        if self.model is not None:
            self._hook_modules(self.model)
        function._observer = self._observe
        return self

    def __exit__(self, *exc) -> None:
        _function()._observer = None
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._stack.clear()

    @property
    def layer(self) -> str | None:
        return self._stack[-1] if self._stack else None

    def _observe(self, fn, inputs, out) -> None:
        self.on_op(fn, inputs, out, self.layer)

    def _hook_modules(self, model) -> None:
        for name, m in model.named_modules():
            label = f"{name} ({type(m).__name__})" if name else type(m).__name__

            def enter(module, args, label=label):
                self._stack.append(label)

            def leave(module, args, output):
                if self._stack:
                    self._stack.pop()

            self._handles.append(m.register_forward_pre_hook(enter))
            self._handles.append(m.register_forward_hook(leave))


def op_name(fn) -> str:
    """The op's class name, as PyTorch names graph nodes ("SigmoidBackward")."""
    return type(fn).__name__


def watching() -> bool:
    """Whether an OpWatch (anomaly mode, a backprop trace) is active."""
    return _function()._observer is not None


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared; the message names the op and the layer."""


@dataclass
class Anomaly:
    """Where a NaN/Inf first appeared: the op, the layer, forward or backward pass."""

    op: str
    layer: str | None
    phase: str
    value: str
    detail: str

    def __str__(self) -> str:
        where = f" in layer {self.layer}" if self.layer else ""
        return f"{self.op}{where} produced {self.value} in the {self.phase} pass ({self.detail})"


def _bad(arr) -> str | None:
    """'nan' or 'inf' when ``arr`` holds one (NaN first: it is the worse news)."""
    if (
        not isinstance(arr, np.ndarray)
        or arr.dtype.kind not in "fcV"
        or (arr.dtype.kind == "V" and not is_floating(arr.dtype))
    ):  # bfloat16 is kind V
        return None
    if np.isfinite(arr).all():
        return None
    return "nan" if np.isnan(arr).any() else "inf"


def _describe(arrays) -> str:
    parts = []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.size and (a.dtype.kind == "c" or is_floating(a.dtype)):
            finite = a[np.isfinite(a)]
            hi = np.abs(finite).max() if finite.size else float("nan")
            parts.append(f"shape {a.shape}, max |x| {hi:.3g}")
        elif isinstance(a, np.ndarray):
            parts.append(f"shape {a.shape}")
    return "; ".join(parts) or "no array inputs"


class AnomalyMode(OpWatch):
    """Context manager: raise (or, with ``raise_error=False``, record in ``.first``) at
    the first op whose output is NaN/Inf. ``forward=False`` checks the backward pass only
    (PyTorch's anomaly mode: a NaN in a forward output, a masked value say, is no error
    there)."""

    def __init__(self, model=None, raise_error: bool = True, forward: bool = True) -> None:
        super().__init__(self._check_forward if forward else self._check_backward, model)
        self.raise_error = raise_error
        self.first: Anomaly | None = None
        self._tensor = None

    def __enter__(self) -> AnomalyMode:
        from nerve.tensor import Tensor  # the tensor tier imports autograd

        self._tensor = Tensor
        return super().__enter__()

    def _report(self, anomaly: Anomaly) -> None:
        if self.first is None:
            self.first = anomaly
        if self.raise_error:
            raise AnomalyError(
                f"anomaly: {anomaly}. Earlier ops were finite, so this op is "
                "where the problem starts."
            )

    def _check_forward(self, fn, inputs, out, layer) -> None:
        tensor = self._tensor
        outs = out if isinstance(out, tuple) else (out,)
        bad = next((b for b in map(_bad, outs) if b), None)
        arrays = [x._data if isinstance(x, tensor) else x for x in inputs]
        if bad and not any(_bad(a) for a in arrays):
            self._report(
                Anomaly(op_name(fn), layer, "forward", bad, "inputs: " + _describe(arrays))
            )
        for x in inputs:  # data or a parameter that arrived non-finite: no op made it
            leaf_bad = isinstance(x, tensor) and x._ctx is None and _bad(x._data)
            if leaf_bad:
                self._report(
                    Anomaly(
                        op_name(fn),
                        layer,
                        "forward",
                        leaf_bad,
                        f"an input leaf tensor of shape {tuple(x.shape)} already "
                        f"held {leaf_bad}: the data or a parameter is bad",
                    )
                )
        self._wrap_backward(fn, layer)

    def _check_backward(self, fn, inputs, out, layer) -> None:
        self._wrap_backward(fn, layer)

    def _wrap_backward(self, fn, layer) -> None:
        backward = fn.backward

        def checked(*dys):
            grads = backward(*dys)
            upstream_ok = not any(_bad(d) for d in dys)
            for i, g in enumerate(grads if isinstance(grads, tuple) else (grads,)):
                bad = _bad(np.asarray(g)) if g is not None else None
                if bad and upstream_ok:
                    self._report(
                        Anomaly(
                            op_name(fn) + "Backward",
                            layer,
                            "backward",
                            bad,
                            f"gradient for input {i}; upstream: " + _describe(list(dys)),
                        )
                    )
            return grads

        fn.backward = checked  # an instance attribute: only this node is affected


# -- PyTorch's face: torch.autograd.detect_anomaly / set_detect_anomaly ---------------------

_anomaly: list = []  # the detect_anomaly contexts set_detect_anomaly opened


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """PyTorch's anomaly mode: the first op whose backward gradient holds NaN/Inf raises
    a RuntimeError (:class:`AnomalyError`) naming it. ``check_nan=False`` turns the check
    off. Context manager and decorator."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._ctx = None

    def __enter__(self) -> None:
        if self.check_nan:
            self._ctx = AnomalyMode(forward=False)
            self._ctx.__enter__()

    def __exit__(self, *exc) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
            self._ctx = None

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly mode on or off (as a call, or for the body of a ``with``)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        _set_anomaly(bool(mode) and check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        _set_anomaly(self.prev)


def _set_anomaly(on: bool) -> None:
    if on and not _anomaly:
        ctx = detect_anomaly()
        ctx.__enter__()
        _anomaly.append(ctx)
    elif not on and _anomaly:
        _anomaly.pop().__exit__(None, None, None)


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode (or another watch of the ops, a backprop trace) is on."""
    return watching()


__all__ = ["detect_anomaly", "set_detect_anomaly"]
