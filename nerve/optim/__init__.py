"""nerve.optim: optimizers that update parameters in place, and learning-rate schedules."""

from nerve.optim import lr_scheduler
from nerve.optim.adadelta import Adadelta
from nerve.optim.adagrad import Adagrad
from nerve.optim.adam import Adam
from nerve.optim.adamax import Adamax
from nerve.optim.adamw import AdamW
from nerve.optim.asgd import ASGD
from nerve.optim.lbfgs import LBFGS
from nerve.optim.nadam import NAdam
from nerve.optim.optimizer import Optimizer
from nerve.optim.radam import RAdam
from nerve.optim.rmsprop import RMSprop
from nerve.optim.rprop import Rprop
from nerve.optim.sgd import SGD

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
]
