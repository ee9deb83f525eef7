"""``torch.backends``: the switches PyTorch programs set for cuDNN, CUDA matmuls and MPS.

nerve has none of those backends, so every flag is accepted, kept and read back, and
changes nothing (a documented no-op); the availability checks answer False.
"""

from nerve.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
