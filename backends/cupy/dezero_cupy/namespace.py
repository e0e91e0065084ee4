"""cupy's main namespace as the array-API namespace the core computes with.

CuPy >= 14 mirrors NumPy 2, whose main namespace follows the array API standard, except for one gap
the core relies on: creation functions take no ``device=`` keyword (CuPy creates arrays on its
*current* device). :class:`CupyNamespace` is cupy itself with those functions wrapped: a given
device becomes the current one for the call, and the ``*_like`` functions default to the device of
their argument, as the standard says. A few dtype helpers NumPy 2 added come from numpy when cupy lacks them
(:data:`FROM_NUMPY`). Everything else is cupy's own object, unwrapped, so the hot path
(``xp.matmul``, ``xp.exp``...) costs nothing extra.
"""
from __future__ import annotations

from typing import Any, Callable

#: creation functions of the standard whose cupy versions lack ``device=``
CREATION = ("arange", "empty", "eye", "full", "linspace", "ones", "zeros")
#: the ``*_like`` creation functions: the result's device defaults to the argument's
LIKE = ("empty_like", "full_like", "ones_like", "zeros_like")
#: dtype names and helpers the core uses that a cupy release may still lack (NumPy 2 added them):
#: cupy's dtypes are numpy's, so numpy's objects are the right ones
FROM_NUMPY = ("isdtype", "bool")


class CupyNamespace:
    """cupy's namespace with ``device=`` on the array API's creation functions."""

    def __init__(self, cupy: Any) -> None:
        self._cupy = cupy
        for name in CREATION:
            setattr(self, name, _placed(getattr(cupy, name)))
        for name in LIKE:
            setattr(self, name, _placed_like(getattr(cupy, name)))

    def __getattr__(self, name: str) -> Any:
        try:
            value = getattr(self._cupy, name)
        except AttributeError:
            if name not in FROM_NUMPY:
                raise
            import numpy

            value = getattr(numpy, name)
        self.__dict__[name] = value  # looked up once; later lookups are plain attribute reads
        return value

    def asarray(self, obj: Any, /, dtype: Any = None, device: Any = None, copy: bool | None = None,
                **kwargs: Any) -> Any:
        """``cupy.asarray`` with the standard's ``device=``: on ``device``, copied there if needed."""
        cp = self._cupy
        if copy is not None:  # passed on only when given: cupy's default stays its own
            kwargs["copy"] = copy
        if device is None:
            return cp.asarray(obj, dtype=dtype, **kwargs)
        with device:
            a = cp.asarray(obj, dtype=dtype, **kwargs)
            # an array of another GPU may come back as it is: copy it onto this one
            return a if a.device.id == device.id else a.copy()

    def __repr__(self) -> str:
        return f"<array-API namespace of cupy {getattr(self._cupy, '__version__', '?')}>"


def _placed(create: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, device: Any = None, **kwargs: Any) -> Any:
        if device is None:
            return create(*args, **kwargs)
        with device:
            return create(*args, **kwargs)

    call.__name__ = call.__qualname__ = create.__name__
    call.__doc__ = f"``cupy.{create.__name__}`` creating its result on ``device`` (default: the current device)."
    return call


def _placed_like(create: Callable[..., Any]) -> Callable[..., Any]:
    def call(x: Any, /, *args: Any, device: Any = None, **kwargs: Any) -> Any:
        with x.device if device is None else device:
            return create(x, *args, **kwargs)

    call.__name__ = call.__qualname__ = create.__name__
    call.__doc__ = f"``cupy.{create.__name__}`` creating its result on ``device`` (default: the device of ``x``)."
    return call
