"""Watching ops as they run, attributed to the layer running each: autograd's
:class:`~nerve.autograd.anomaly_mode.OpWatch` (the observer of ``Function.apply``), which
anomaly mode and the backprop trace are built on."""

from nerve.autograd.anomaly_mode import OpWatch, op_name

__all__ = ["OpWatch", "op_name"]
