"""nerve.nn: modules (layers that hold parameters) over nerve.nn.functional."""

from nerve.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
)
from nerve.nn.module import Module
from nerve.nn.parameter import Buffer, Parameter
