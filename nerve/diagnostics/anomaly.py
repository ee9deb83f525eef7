"""Anomaly mode: find the op (and the layer) that first produced a NaN or an Inf.

    with nerve.diagnostics.detect_anomaly(model):
        loss = loss_fn(model(x), y)
        loss.backward()

Every op's forward output is checked; the first one that is not finite although all
its inputs are raises :class:`AnomalyError` naming the op, the layer running it and
the inputs' ranges. Backward results are checked the same way ("SigmoidBackward
returned nan for input 0"). With ``raise_error=False`` the first anomaly is only
recorded in ``.first`` and training goes on (the gradient monitor uses this). Costs
one finiteness test per op while on, nothing when off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nerve.diagnostics.watch import OpWatch, op_name
from nerve.tensor import Tensor


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
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fc":
        return None
    if np.isfinite(arr).all():
        return None
    return "nan" if np.isnan(arr).any() else "inf"


def _describe(arrays) -> str:
    parts = []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.size and a.dtype.kind in "fc":
            finite = a[np.isfinite(a)]
            hi = np.abs(finite).max() if finite.size else float("nan")
            parts.append(f"shape {a.shape}, max |x| {hi:.3g}")
        elif isinstance(a, np.ndarray):
            parts.append(f"shape {a.shape}")
    return "; ".join(parts) or "no array inputs"


class detect_anomaly(OpWatch):  # noqa: N801 - PyTorch's name (torch.autograd.detect_anomaly)
    """Context manager: raise (or record) at the first op whose output is NaN/Inf."""

    def __init__(self, model=None, raise_error: bool = True) -> None:
        super().__init__(self._check_forward, model)
        self.raise_error = raise_error
        self.first: Anomaly | None = None

    def _report(self, anomaly: Anomaly) -> None:
        if self.first is None:
            self.first = anomaly
        if self.raise_error:
            raise AnomalyError(f"anomaly: {anomaly}. Earlier ops were finite, so this op is "
                               "where the problem starts.")

    def _check_forward(self, fn, inputs, out, layer) -> None:
        outs = out if isinstance(out, tuple) else (out,)
        bad = next((b for b in map(_bad, outs) if b), None)
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        if bad and not any(_bad(a) for a in arrays):
            self._report(Anomaly(op_name(fn), layer, "forward", bad,
                                 "inputs: " + _describe(arrays)))
        for x in inputs:  # data or a parameter that arrived non-finite: no op made it
            leaf_bad = isinstance(x, Tensor) and x._ctx is None and _bad(x._data)
            if leaf_bad:
                self._report(Anomaly(op_name(fn), layer, "forward", leaf_bad,
                                     f"an input leaf tensor of shape {tuple(x.shape)} already "
                                     f"held {leaf_bad}: the data or a parameter is bad"))
        self._wrap_backward(fn, layer)

    def _wrap_backward(self, fn, layer) -> None:
        backward = fn.backward

        def checked(*dys):
            grads = backward(*dys)
            upstream_ok = not any(_bad(d) for d in dys)
            for i, g in enumerate(grads if isinstance(grads, tuple) else (grads,)):
                bad = _bad(np.asarray(g)) if g is not None else None
                if bad and upstream_ok:
                    self._report(Anomaly(op_name(fn) + "Backward", layer, "backward", bad,
                                         f"gradient for input {i}; upstream: "
                                         + _describe(list(dys))))
            return grads

        fn.backward = checked  # an instance attribute: only this node is affected
