"""``torch.utils.tensorboard``: :class:`SummaryWriter` writes TensorBoard event files
itself (no tensorboard or protobuf needed to write; install ``tensorboard`` to view)."""

from nerve.utils.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
