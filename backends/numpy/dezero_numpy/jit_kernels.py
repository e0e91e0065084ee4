"""Adam and AdamW as one numba-compiled loop: the compiled training step's update (the ``[jit]`` extra).

:mod:`dezero_numpy.optimizer_kernels` runs Adam as a dozen numpy operations, each a pass over (a
block of) the parameter; here one loop reads each element of the parameter, its gradient and both
moments once and writes three of them once: 40-50 us against the blocked numpy kernel's 170 us on
the 784x100 float32 weight of an MLP, 0.86-0.90 ms against 2.8-3.2 ms on 1M elements (CPU time,
one thread, a loaded machine). numba compiles the loop in about a second (loading it from numba's
disk cache, the first in a process, takes about as long), so only ``dz.compile``'s replay uses it:
its executor asks for ``"jit:adam"`` when it is built and warms it for the parameters' dtype then,
not in a step. Eager ``update()`` keeps the numpy kernel, as PyTorch eager's optimizers run op by
op while ``torch.compile`` fuses the step.

This is a second copy of the numpy kernel's arithmetic, kept bit for bit equal to it: per element
the same operations in the same order, in the parameter's dtype (the constants are rounded to it
first, as the numpy kernel's 0-d constants are), ``error_model='numpy'`` (the default ``'python'``
checks every division for zero, which stops LLVM vectorising the loop: slower than numpy) and no
``fastmath`` (it would contract ``a * b + c`` into one FMA, rounding once instead of twice).

A kernel is used for C-contiguous numpy arrays of float32 or float64 all of one dtype; anything
else, numba missing, ``DEZERO_NUMPY_JIT=0`` in the environment, :data:`ENABLED` set False, or a
numba failure (one warning) takes the numpy kernel.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable

import numpy as np

from dezero_numpy import optimizer_kernels

#: whether the numba kernels may be used (False: the numpy kernels, e.g. to compare or to test the fallback)
ENABLED = os.environ.get("DEZERO_NUMPY_JIT", "1") != "0"

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _loop() -> Callable:
    """The numba loop (imported and decorated only when a kernel is asked for). Adam runs it with
    ``decay`` 1: ``x * 1`` is ``x`` exactly, so one loop (one compile per dtype) serves both."""
    import numba

    def adamw_loop(data, grad, m, v, one_minus_b1, beta1, one_minus_b2, beta2, eps, step_size, decay):
        for i in range(data.size):  # the numpy kernel's operations and order, element by element
            g = grad[i]
            mi = m[i] * beta1 + g * one_minus_b1
            vi = v[i] * beta2 + g * g * one_minus_b2
            m[i] = mi
            v[i] = vi
            data[i] = data[i] * decay - mi / (np.sqrt(vi) + eps) * step_size

    try:
        return numba.njit(error_model="numpy", cache=True, nogil=True)(adamw_loop)
    except RuntimeError:  # no writable cache directory (next to this file, or numba's user cache)
        return numba.njit(error_model="numpy", nogil=True)(adamw_loop)


class JitKernel:
    """The ``"adam"``/``"adamw"`` kernel protocol (:meth:`ArrayBackend.optimizer_kernel`) over a numba
    loop, falling back to the numpy kernel ``fallback`` where the loop does not apply."""

    def __init__(self, loop: Callable, fallback: Callable) -> None:
        self.loop = loop
        self.fallback = fallback
        self._failed = False
        self._warm: set[Any] = set()  # the dtypes compiled for

    def __call__(self, data: Any, grad: Any, m: Any, v: Any, beta1: float, beta2: float, step_size: float,
                 eps: float, *decay: float) -> None:
        """Update ``data``, ``m``, ``v`` in place (the numpy kernel's arithmetic)."""
        dtype = data.dtype
        if (self._failed or not ENABLED or dtype not in DTYPES or type(data) is not np.ndarray
                or getattr(grad, "dtype", None) != dtype or m.dtype != dtype or v.dtype != dtype
                or not _contiguous(data, grad, m, v)):
            self.fallback(data, grad, m, v, beta1, beta2, step_size, eps, *decay)
            return
        try:
            self.loop(data.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1),
                      *_numbers(dtype, beta1, beta2, step_size, eps, decay[0] if decay else 1.0))
        except Exception as error:  # noqa: BLE001 - a compile failure must not break training
            self._fail(error)
            self.fallback(data, grad, m, v, beta1, beta2, step_size, eps, *decay)

    def warm(self, dtype: Any) -> None:
        """Compile (or load from numba's cache) the loop for ``dtype`` now, outside any timed step."""
        dtype = np.dtype(dtype)
        if self._failed or not ENABLED or dtype not in DTYPES or dtype in self._warm:
            return
        self._warm.add(dtype)
        one = np.zeros(1, dtype=dtype)
        try:
            self.loop(one, one.copy(), one.copy(), one.copy(), *_numbers(dtype, 0.9, 0.999, 0.0, 1e-8, 1.0))
        except Exception as error:  # noqa: BLE001 - as in __call__
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        self._failed = True
        warnings.warn(f"dezero-numpy: numba could not compile the fused optimizer update ({error!r}); "
                      "using the numpy kernel instead", RuntimeWarning, stacklevel=3)


def _numbers(dtype: Any, beta1: float, beta2: float, step_size: float, eps: float, decay: float) -> tuple:
    """The loop's constants, each rounded once to ``dtype`` (as the numpy kernel's 0-d constants)."""
    number = dtype.type
    return (number(1.0 - beta1), number(beta1), number(1.0 - beta2), number(beta2), number(eps),
            number(step_size), number(decay))


_contiguous = optimizer_kernels._contiguous


_kernels: dict[str, JitKernel] | None = None


def kernel(name: str) -> JitKernel | None:
    """The numba kernel ``name`` (``"adam"`` or ``"adamw"``), or None where numba is not importable,
    is switched off (:data:`ENABLED`) or has no kernel of that name."""
    global _kernels
    if not ENABLED or name not in optimizer_kernels.KERNELS:
        return None
    if _kernels is None:
        try:
            loop = _loop()
        except ImportError:
            return None
        _kernels = {"adam": JitKernel(loop, optimizer_kernels.adam),
                    "adamw": JitKernel(loop, optimizer_kernels.adamw)}
    return _kernels.get(name)
