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

__version__ = "0.1.0"

__all__ = [
    "ArrayBackend",
    "BackendError",
    "Function",
    "Parameter",
    "Variable",
    "as_array",
    "as_variable",
    "backend_names",
    "functions",
    "get_backend",
    "get_config",
    "is_training",
    "no_grad",
    "set_backend",
    "test_mode",
    "using_backend",
    "using_config",
]
