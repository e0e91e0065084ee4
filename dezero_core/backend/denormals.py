"""Flush-to-zero of denormal floats, on the backend that computes: set it, read it, or hold it for a block.

Denormals (float32 magnitudes below 1.2e-38) cost about 100x on x86 CPUs, and training produces
them: Adam's first moment of a weight whose gradient is always zero decays into them and stays
there, making every epoch after the first ~1.6x slower (MLP 784-100-10 on Fashion-MNIST). Flushing
them to zero changes results only below float32's normal range. TensorFlow flushes by default;
PyTorch offers ``torch.set_flush_denormal``; the :class:`~dezero_core.training.Trainer` flushes
during ``fit`` and ``evaluate`` through :func:`flushing_denormals`.

On CPU backends the mode belongs to the calling thread (threads it starts afterwards inherit it on
Linux), not to a context: async tasks interleaved on one thread share it.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from dezero_core.backend.protocol import ArrayBackend
from dezero_core.backend.selection import get_backend


def set_flush_denormal(enabled: bool, backend: str | ArrayBackend | None = None) -> bool:
    """Flush denormals to zero (``enabled``) or not, on ``backend`` (default: the current one).

    Returns whether the backend supports it (False: nothing changed), as ``torch.set_flush_denormal``
    does. On CPUs it applies to the calling thread only.
    """
    return get_backend(backend).set_flush_denormal(enabled)


def get_flush_denormal(backend: str | ArrayBackend | None = None) -> bool:
    """Whether ``backend`` (default: the current one) flushes denormals now, in this thread."""
    return get_backend(backend).get_flush_denormal()


@contextlib.contextmanager
def flushing_denormals(enabled: bool = True, backend: str | ArrayBackend | None = None) -> Iterator[bool]:
    """Flush denormals (or, with ``enabled=False``, keep them) inside the ``with`` block, then restore
    the previous mode of this thread, also when the block raises.

    Yields whether ``backend`` (default: the current one) supports it; where it does not, nothing
    changes. Also usable as a decorator.
    """
    target = get_backend(backend)
    if enabled:  # the mode found is restored whole (x86's FTZ without DAZ stays so)
        previous = target.begin_flush_denormal()
        try:
            yield previous is not None or target.get_flush_denormal()
        finally:
            target.end_flush_denormal(previous)
        return
    previous_on = target.get_flush_denormal()
    supported = target.set_flush_denormal(False)
    try:
        yield supported
    finally:
        if supported:
            target.set_flush_denormal(previous_on)


__all__ = ["flushing_denormals", "get_flush_denormal", "set_flush_denormal"]
