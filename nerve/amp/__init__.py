"""``torch.amp``: autocast regions and the gradient scaler (see each module for what
nerve does on the CPU, where it has no half-precision kernels)."""

from nerve.amp import autocast_mode, grad_scaler
from nerve.amp.autocast_mode import autocast, is_autocast_available, is_autocast_enabled
from nerve.amp.grad_scaler import GradScaler

__all__ = [
    "GradScaler",
    "autocast",
    "autocast_mode",
    "grad_scaler",
    "is_autocast_available",
    "is_autocast_enabled",
]
