"""cupy's main namespace as the array-API namespace the core computes with.

CuPy >= 14 mirrors NumPy 2, whose main namespace follows the array API standard, with gaps that
:class:`CupyNamespace` fills (checked against cupy 14.2 by ``hasattr`` and signatures):

- creation functions take no ``device=`` keyword (CuPy creates arrays on its *current* device):
  wrapped, a given device becomes the current one for the call, and the ``*_like`` functions default
  to the device of their argument, as the standard says;
- ``var``/``std`` take NumPy's ``ddof`` but not the standard's ``correction`` (the core's ``F.var``
  passes ``correction=``);
- ``vecdot`` and ``unstack`` are missing.

``cupy.ndarray`` has no ``__array_namespace__`` either; the core recognises arrays through the
backends that own them (``dezero_core.data.arrays.is_array``), so cupy's class is left untouched.

A few dtype helpers NumPy 2 added come from numpy when cupy lacks them (:data:`FROM_NUMPY`).
Everything else is cupy's own object, unwrapped, so the hot path (``xp.matmul``, ``xp.exp``...)
costs nothing extra.
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

    def var(self, x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
        """The variance, with the standard's ``correction`` (cupy's ``ddof``)."""
        return self._cupy.var(x, axis=axis, ddof=correction, keepdims=keepdims)

    def std(self, x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
        """The standard deviation, with the standard's ``correction`` (cupy's ``ddof``)."""
        return self._cupy.std(x, axis=axis, ddof=correction, keepdims=keepdims)

    def vecdot(self, x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
        """The standard's ``vecdot``: ``sum(conj(x1) * x2)`` along ``axis``, broadcasting the rest."""
        return self._cupy.sum(self._cupy.conj(x1) * x2, axis=axis)

    def unstack(self, x: Any, /, *, axis: int = 0) -> tuple[Any, ...]:
        """The standard's ``unstack``: the views of ``x`` along ``axis``, as a tuple."""
        return tuple(self._cupy.moveaxis(x, axis, 0))

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
