"""``torch.amp.GradScaler``: loss scaling with the dynamic scale update.

With scale s: ``scale(loss)`` returns s·loss, so every gradient comes out s times too
large; ``unscale_(opt)`` multiplies the gradients by 1/s and records whether any is inf
or NaN; ``step(opt)`` unscales if needed and skips ``opt.step()`` when one was;
``update()`` sets s ← s·backoff_factor after a skipped step (and restarts the count),
else counts the step and sets s ← s·growth_factor after ``growth_interval`` clean steps
in a row. Disabled (``enabled=False``, or device "cuda" without CUDA), every method is
PyTorch's pass-through: scale returns its input, step calls ``opt.step()``. On a device
the gradients are unscaled in place there; the inf/NaN check is one host sync per
parameter, as PyTorch's is one per step.
"""

from __future__ import annotations

import warnings

import numpy as np

from nerve.backend import array_module, cuda_available
from nerve.tensor import Tensor

__all__ = ["GradScaler"]

_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda" and not cuda_available():
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                UserWarning,
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = init_scale
        self._scale: np.ndarray | None = None  # float32, made by the first scale()
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval = growth_interval
        self._growth_tracker = 0
        self._per_optimizer: dict = {}  # id(optimizer) -> [stage, found_inf]

    def is_enabled(self) -> bool:
        return self._enabled

    def _lazy_scale(self) -> np.ndarray:
        if self._scale is None:
            self._scale = np.array(self._init_scale, np.float32)
        return self._scale

    def scale(self, outputs):
        """s·outputs for a Tensor or (nested) lists and tuples of Tensors."""
        if not self._enabled:
            return outputs
        s = self._lazy_scale()
        if isinstance(outputs, Tensor):
            return outputs * float(s)  # a Python scalar: the output keeps its dtype and device
        if isinstance(outputs, list | tuple):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer) -> list:
        return self._per_optimizer.setdefault(id(optimizer), [_READY, False])

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by s in place and record any inf or NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state[0] == _UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state[0] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        if self._scale is None:
            raise AssertionError(
                "Attempted unscale_ but _scale is None.  This may indicate "
                "your script did not use scaler.scale(loss or outputs) "
                "earlier in the iteration."
            )
        inv = np.float32(np.float64(1.0) / np.float64(self._scale))
        found = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                xp = array_module(g)
                xp.multiply(g, g.dtype.type(inv), out=g)
                found = found or not bool(xp.isfinite(g).all())
        state[:] = [_UNSCALED, found]

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` unless the unscaled gradients hold an inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state[0] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state[0] == _READY:
            self.unscale_(optimizer)
        out = None if state[1] else optimizer.step(*args, **kwargs)
        state[0] = _STEPPED
        return out

    def update(self, new_scale=None) -> None:
        """The dynamic update of s (see the module docstring), or s = ``new_scale``."""
        if not self._enabled:
            return
        if self._scale is None:
            raise AssertionError(
                "Attempted update but _scale is None.  This may indicate "
                "your script did not use scaler.scale(loss or outputs) "
                "earlier in the iteration."
            )
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(
                        "new_scale should be a float or a 1-element "
                        "nerve.FloatTensor with requires_grad=False."
                    )
                new_scale = new_scale.item()
            self._scale = np.array(new_scale, np.float32)
        else:
            found = [s[1] for s in self._per_optimizer.values() if s[0] != _READY]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale = (self._scale * np.float32(self._backoff_factor)).astype(np.float32)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale = (self._scale * np.float32(self._growth_factor)).astype(np.float32)
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was "
                "saved from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = np.array(state_dict["scale"], np.float32)
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = state_dict["_growth_tracker"]
