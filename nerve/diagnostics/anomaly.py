"""Anomaly mode with layers: find the op, and the layer running it, that first produced
a NaN or an Inf.

    with nerve.diagnostics.detect_anomaly(model):
        loss = loss_fn(model(x), y)
        loss.backward()

Every op's forward output is checked; the first one that is not finite although all
its inputs are raises :class:`AnomalyError` naming the op, the layer running it and
the inputs' ranges. Backward results are checked the same way ("SigmoidBackward
returned nan for input 0"). With ``raise_error=False`` the first anomaly is only
recorded in ``.first`` and training goes on (the gradient monitor uses this). The core
is autograd's (nerve/autograd/anomaly_mode.py); this is its face with a model.
"""

from __future__ import annotations

from nerve.autograd.anomaly_mode import Anomaly, AnomalyError, AnomalyMode

__all__ = ["Anomaly", "AnomalyError", "detect_anomaly"]


class detect_anomaly(AnomalyMode):  # noqa: N801 - PyTorch's name (torch.autograd.detect_anomaly)
    """Context manager: raise (or record) at the first op whose output is NaN/Inf."""

    def __init__(self, model=None, raise_error: bool = True) -> None:
        super().__init__(model, raise_error)
