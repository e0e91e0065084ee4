"""The book's functions take integer arrays and compute on them as numpy does.

dezero_core's differentiable functions refuse integer and boolean data on purpose (an integer input
would silently compute in float64, or give meaningless gradients). The book's accept them, and its
readers' code relies on it (``F.linear`` of int64 arrays, ``F.exp`` of ``np.arange(3)``), so the
facade adapts each function in one of two ways:

- :func:`promoting`: where numpy's formula meets a float (``exp``, ``tanh``, ``sigmoid``, ``relu``
  as the book's ``np.maximum(x, 0.0)``, the means and the losses), integer inputs are cast to
  float64 first, through :class:`ToFloat64`, so gradients still reach them;
- :func:`keeping_integers`: where numpy keeps integers (``linear``, ``matmul``, ``im2col``,
  ``conv2d``, pooling, ``max``, ``clip``), dezero_core's function runs on them unchanged, inside
  :func:`~dezero_core.functions.validation.integers_allowed`.

Float inputs go straight to dezero_core's function: one dtype test per call.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from dezero_core.functions.validation import integers_allowed
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable

__all__ = ["ToFloat64", "keeping_integers", "promoting"]

_INTEGER_KINDS = frozenset("biu")  # numpy's dtype kinds: boolean, signed and unsigned integers


def is_integer(x: Any) -> bool:
    """Whether ``x`` (an array or a Variable) holds integers or booleans."""
    dtype = getattr(x.data if isinstance(x, Variable) else x, "dtype", None)
    return getattr(dtype, "kind", None) in _INTEGER_KINDS


class ToFloat64(Function):
    """``x`` as float64, as numpy promotes integers that meet a float; the gradient passes through."""

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.astype(x, xp.float64)

    def backward(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        return gy


def promoting(fn: Callable[..., Variable], arrays: int = 1) -> Callable[..., Variable]:
    """``fn`` with its first ``arrays`` positional arguments cast to float64 when they hold integers
    (labels and other later arguments are left as they are)."""

    @functools.wraps(fn)
    def book_function(*args: Any, **kwargs: Any) -> Variable:
        if any(is_integer(a) for a in args[:arrays]):
            args = tuple(ToFloat64()(a) if i < arrays and is_integer(a) else a for i, a in enumerate(args))
        return fn(*args, **kwargs)

    return book_function


def keeping_integers(fn: Callable[..., Variable]) -> Callable[..., Variable]:
    """``fn`` computing on integer inputs as the array library does (int64 in, int64 out)."""

    @functools.wraps(fn)
    def book_function(*args: Any, **kwargs: Any) -> Variable:
        if any(is_integer(a) for a in args):
            with integers_allowed():
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    return book_function
