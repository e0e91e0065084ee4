"""The array-backend protocol and backend selection."""
from dezero_core.backend.protocol import ArrayBackend, RandomGenerator
from dezero_core.backend.selection import (
    BackendError,
    auto_backend,
    backend_names,
    backend_of,
    get_backend,
    set_backend,
    using_backend,
)

__all__ = [
    "ArrayBackend",
    "BackendError",
    "RandomGenerator",
    "auto_backend",
    "backend_names",
    "backend_of",
    "get_backend",
    "set_backend",
    "using_backend",
]
