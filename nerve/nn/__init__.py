"""nerve.nn: modules (layers that hold parameters) over nerve.nn.functional."""

from nerve.nn.module import Module
from nerve.nn.parameter import Buffer, Parameter
