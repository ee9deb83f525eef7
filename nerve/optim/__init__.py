"""nerve.optim: optimizers that update parameters in place, and learning-rate schedules."""

from nerve.optim import lr_scheduler
from nerve.optim.adagrad import Adagrad
from nerve.optim.adam import Adam
from nerve.optim.adamw import AdamW
from nerve.optim.optimizer import Optimizer
from nerve.optim.rmsprop import RMSprop
from nerve.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
