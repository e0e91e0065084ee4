"""Initial values of parameters, drawn from the backend's default generator in the layer's dtype.

``dezero_core.random.seed(n)`` makes them repeatable (the default generator is per thread); an explicit
``generator`` overrides it. The noise is generated in the requested dtype, so a float32 layer never
holds a float64 array.
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend.protocol import ArrayBackend, RandomGenerator
from dezero_core.backend.selection import backend_of, get_backend
from dezero_core.graph.variable import Variable
from dezero_core.random import get_generator

DEFAULT_DTYPE = "float32"


def resolve_dtype(backend: ArrayBackend, dtype: Any) -> Any:
    """The backend's dtype object for ``dtype``: a name (``"float64"``), a dtype, or None for float32."""
    if dtype is None:
        dtype = DEFAULT_DTYPE
    if isinstance(dtype, str):
        try:
            return getattr(backend.xp, dtype)
        except AttributeError:
            raise ValueError(f"backend {backend.name!r} has no dtype {dtype!r}") from None
    return dtype


def floating_dtype_of(backend: ArrayBackend, array: Any) -> Any:
    """``array``'s dtype when it is a real floating dtype, else the default float32.

    A lazy layer takes its dtype from its first input; integer inputs (word ids, labels) must not
    give it integer weights.
    """
    if backend.xp.isdtype(array.dtype, "real floating"):
        return array.dtype
    return resolve_dtype(backend, None)


def normal(backend: ArrayBackend, shape: tuple[int, ...], std: float, dtype: Any,
           generator: RandomGenerator | None = None) -> Any:
    """Samples of N(0, std²) of ``shape`` on ``backend``, from ``generator`` (a generator of that
    backend; default: the calling thread's default one, see :mod:`dezero_core.random`)."""
    return (generator or get_generator(backend)).normal(0.0, std, shape, dtype)


def fan_in_normal(backend: ArrayBackend, shape: tuple[int, ...], fan_in: int, dtype: Any,
                  generator: RandomGenerator | None = None) -> Any:
    """N(0, 1/fan_in): the book's (and Chainer's LeCun) initialization of weights."""
    return normal(backend, shape, (1.0 / fan_in) ** 0.5, dtype, generator)


def zeros(backend: ArrayBackend, shape: tuple[int, ...], dtype: Any) -> Any:
    """Zeros of ``shape`` on ``backend``."""
    return backend.xp.zeros(shape, dtype=dtype)


def ones(backend: ArrayBackend, shape: tuple[int, ...], dtype: Any) -> Any:
    """Ones of ``shape`` on ``backend``."""
    return backend.xp.ones(shape, dtype=dtype)


def creation_target(dtype: Any, x: Any = None) -> tuple[ArrayBackend, Any]:
    """(backend, dtype) new parameters are created with.

    Without an input (sizes known at construction): the current backend, ``dtype`` or float32. With
    the first input ``x`` of a lazy layer: x's backend, and ``dtype`` or else x's floating dtype.
    """
    if x is None:
        backend = get_backend()
        return backend, resolve_dtype(backend, dtype)
    data = x.data if isinstance(x, Variable) else x
    backend = backend_of(data)
    return backend, resolve_dtype(backend, dtype) if dtype is not None else floating_dtype_of(backend, data)
