"""Learning-rate schedules (``torch.optim.lr_scheduler``), with PyTorch's classes,
arguments and state_dicts.

- base.py: LRScheduler, the base (its step, state_dict and the call-order warning);
- closed_form.py: the schedules given by a formula of the step (StepLR, CosineAnnealingLR...);
- cyclic.py: CyclicLR and CosineAnnealingWarmRestarts; one_cycle.py: OneCycleLR;
- plateau.py: ReduceLROnPlateau (driven by a metric);
- sequential.py: SequentialLR and ChainedScheduler (composites of schedulers).
"""

# torch's module binds these names as well; programs may take them from here
from bisect import bisect_right  # noqa: F401
from collections import Counter  # noqa: F401
from collections.abc import Callable  # noqa: F401
from typing import Any  # noqa: F401

from nerve.optim.lr_scheduler.base import LRScheduler, _LRScheduler  # noqa: F401
from nerve.optim.lr_scheduler.closed_form import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from nerve.optim.lr_scheduler.cyclic import CosineAnnealingWarmRestarts, CyclicLR
from nerve.optim.lr_scheduler.one_cycle import OneCycleLR
from nerve.optim.lr_scheduler.plateau import ReduceLROnPlateau
from nerve.optim.lr_scheduler.sequential import ChainedScheduler, SequentialLR
from nerve.optim.optimizer import Optimizer  # noqa: F401

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
