"""nerve.diagnostics: why a deep network does or does not learn.

A gradient-health monitor (per-layer norms, update ratios, dead and saturated units,
gradient norms through time) with a verdict that names the problem and the remedies,
an anomaly mode that names the op and layer that first produced a NaN, a backprop
trace table for small networks, PNG plots, and the lecture labs (``nerve lab NAME``).
The plots and labs are imported on use: ``nerve.diagnostics.plots``, ``.labs``.
"""

from nerve.diagnostics.anomaly import Anomaly, AnomalyError, detect_anomaly
from nerve.diagnostics.monitor import GradientMonitor
from nerve.diagnostics.trace import BackpropTrace, backprop_trace
from nerve.diagnostics.verdict import Diagnosis, Finding, diagnose

__all__ = [
    "Anomaly",
    "AnomalyError",
    "BackpropTrace",
    "Diagnosis",
    "Finding",
    "GradientMonitor",
    "backprop_trace",
    "detect_anomaly",
    "diagnose",
]
