"""The CuPy (NVIDIA GPU) backend of dezero_core, registered under ``dezero.backends`` as ``cupy``.

Importing this package imports no cupy: :class:`CupyBackend` imports it when it is probed.
"""
from dezero_cupy.backend import CupyBackend

__all__ = ["CupyBackend"]
