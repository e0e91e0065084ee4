"""The book's ``dezero.cuda``: is a GPU usable, which array module owns an array, moving arrays.

The GPU is dezero_core's ``cupy`` backend (``pip install dezero-cupy[cuda12]``). ``gpu_enable`` and
``cupy`` (alias ``cp``) are resolved on first access, so ``import dezero`` never imports CuPy.
"""
from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import numpy as np

from dezero_core.backend.selection import BackendError, backend_of, get_backend
from dezero_core.graph.variable import Variable

__all__ = ["as_cupy", "as_numpy", "cp", "cupy", "get_array_module", "gpu_enable"]

INSTALL_HINT = ("install the GPU backend: pip install 'dezero-cupy[cuda12]' (or [cuda13]) on a machine "
                "with an NVIDIA GPU and its driver")


@functools.lru_cache(maxsize=None)
def _cupy_or_reason() -> tuple[ModuleType | None, str]:
    """(the cupy module, "") when dezero_core's cupy backend is usable, else (None, why not)."""
    try:
        get_backend("cupy")
    except BackendError as exc:
        return None, str(exc)
    import cupy

    return cupy, ""


def __getattr__(name: str) -> Any:
    if name == "gpu_enable":
        return _cupy_or_reason()[0] is not None
    if name in ("cupy", "cp"):
        module, reason = _cupy_or_reason()
        if module is None:
            raise AttributeError(f"dezero.cuda.{name}: CuPy is not usable ({reason}); {INSTALL_HINT}")
        return module
    raise AttributeError(f"module 'dezero.cuda' has no attribute {name!r}")


def get_array_module(x: Any) -> ModuleType:
    """``numpy`` or ``cupy``: the module of the array ``x`` (or of a Variable's data)."""
    if isinstance(x, Variable):
        x = x.data
    if isinstance(x, np.ndarray) or np.isscalar(x):
        return np
    module, _ = _cupy_or_reason()
    return np if module is None else module.get_array_module(x)


def as_numpy(x: Any) -> np.ndarray:
    """``x`` (an array of any backend, a Variable or a scalar) as a numpy array in host memory."""
    if isinstance(x, Variable):
        x = x.data
    if np.isscalar(x):
        return np.array(x)
    if isinstance(x, np.ndarray):
        return x
    return backend_of(x).to_host(x)


def as_cupy(x: Any) -> Any:
    """``x`` (an array, a Variable or a scalar) as a cupy array in GPU memory."""
    if isinstance(x, Variable):
        x = x.data
    module, reason = _cupy_or_reason()
    if module is None:
        raise RuntimeError(f"CuPy cannot be used ({reason}); {INSTALL_HINT}")
    return module.asarray(x)
