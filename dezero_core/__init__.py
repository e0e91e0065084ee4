"""dezero_core: a backend-agnostic define-by-run deep-learning core.

``import dezero_core`` imports no array library and scans no plugin: the backend is chosen at first
use (``DEZERO_BACKEND``, ``set_backend``, ``using_backend``, else the first usable of cupy, numpy).
"""
from dezero_core.backend import (
    ArrayBackend,
    BackendError,
    backend_names,
    get_backend,
    set_backend,
    using_backend,
)
from dezero_core.config import get_config, is_training, no_grad, test_mode, using_config
from dezero_core.graph import Function, Parameter, Variable, as_array, as_variable
from dezero_core import functions
from dezero_core.anomaly import AnomalyError, detect_anomaly

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "ArrayBackend",
    "BackendError",
    "Function",
    "Parameter",
    "Variable",
    "as_array",
    "as_variable",
    "backend_names",
    "detect_anomaly",
    "flushing_denormals",
    "functions",
    "get_backend",
    "hookimpl",
    "get_config",
    "is_training",
    "no_grad",
    "set_backend",
    "test_mode",
    "using_backend",
    "using_config",
]

# Imported on first access: ``import dezero_core`` must not import pluggy, nor load what few programs use.
_LAZY = {
    "hookimpl": "dezero_core.hookspecs",
    "flushing_denormals": "dezero_core.backend.denormals",
    # Define-and-Run (static graphs)
    "symbol": "dezero_core.static",
    "constant": "dezero_core.static",
    "compile": "dezero_core.static",
    "grad": "dezero_core.static",
    "cond": "dezero_core.static",
    "while_loop": "dezero_core.static",
    "load_compiled": "dezero_core.static",
}


#: subpackages reachable as attributes (``dz.optimizers.Adam``), imported on first access
_SUBMODULES = frozenset({"data", "datasets", "layers", "models", "optimizers", "random", "serialization",
                         "training"})


def __getattr__(name: str) -> object:
    if name in _LAZY or name in _SUBMODULES:
        import importlib

        if name in _SUBMODULES:
            return importlib.import_module(f"dezero_core.{name}")
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dezero_core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
