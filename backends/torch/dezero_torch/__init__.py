"""A backend of dezero_core over PyTorch tensors, registered under ``dezero.backends`` as ``torch``.

Importing this package imports no torch: :class:`TorchBackend` imports it when it is probed.
"""
from dezero_torch.backend import TorchBackend

__all__ = ["TorchBackend"]
