"""``flushing_denormals``: a block computed with denormal floats flushed to zero, for users.

Denormals (float32 magnitudes below 1.2e-38) cost about 100x on x86 CPUs, and training produces
them: Adam's first moment of a weight whose gradient is always zero decays into them and stays
there, making every epoch after the first ~1.6x slower (MLP 784-100-10 on Fashion-MNIST). Flushing
them to zero changes results only below float32's normal range. TensorFlow flushes by default;
PyTorch offers ``torch.set_flush_denormal``. The :class:`~dezero_core.training.Trainer` (during
``fit`` and ``evaluate``) and optimizers (every 16th update) enter the backend's
:meth:`~dezero_core.backend.protocol.ArrayBackend.compute_scope` themselves; this is the same scope
for a hand-written loop or any other block.

On CPU backends the mode belongs to the calling thread (threads it starts afterwards inherit it on
Linux), not to a context: async tasks interleaved on one thread share it.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from dezero_core.backend.protocol import ArrayBackend
from dezero_core.backend.selection import get_backend


@contextlib.contextmanager
def flushing_denormals(enabled: bool = True, backend: str | ArrayBackend | None = None) -> Iterator[bool]:
    """Flush denormals (or, with ``enabled=False``, keep them exact) inside the ``with`` block, then
    restore the mode found, also when the block raises.

    Yields whether ``backend`` (default: the current one, looked up on entering) supports it; where
    it does not, nothing changes. Also usable as a decorator.
    """
    with get_backend(backend).compute_scope(flush_denormals=enabled) as supported:
        yield supported


__all__ = ["flushing_denormals"]
