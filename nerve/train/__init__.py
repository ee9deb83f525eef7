"""nerve.train: ``fit`` and ``evaluate``, callbacks, metrics, History and checkpoints.

The Keras-style convenience on top of the plain PyTorch-style loop; nothing here is
needed to train a model by hand.
"""

from nerve.train.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    TensorBoard,
    TerminateOnNaN,
    TrainState,
)
from nerve.train.checkpoint import load_checkpoint, save_checkpoint
from nerve.train.fit import evaluate, fit
from nerve.train.history import History
from nerve.train.metrics import (
    Accuracy,
    Metric,
    TopKAccuracy,
    accuracy,
    get_metric,
    get_metrics,
    top_k_accuracy,
)

__all__ = [
    "Accuracy",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LRSchedulerCallback",
    "Metric",
    "ModelCheckpoint",
    "TensorBoard",
    "TerminateOnNaN",
    "TopKAccuracy",
    "TrainState",
    "accuracy",
    "evaluate",
    "fit",
    "get_metric",
    "get_metrics",
    "load_checkpoint",
    "save_checkpoint",
    "top_k_accuracy",
]
