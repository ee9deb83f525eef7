"""``torch.autograd.anomaly_mode``'s path to :func:`nerve.autograd.detect_anomaly`."""

from nerve.autograd import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
