"""Reductions called straight on numpy's ufuncs: what ``numpy.sum`` and ``numpy.max`` end up calling.

``np.sum(x, axis=1)`` goes through two Python-level wrappers (argument dispatch, a kwargs dict)
before ``np.add.reduce``; on the small arrays of a training step (a loss over (100, 10) scores, a
bias gradient) that is a microsecond of a three-microsecond call, several times per function.
These take the array API's signatures and return exactly what numpy's functions return.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_add = np.add.reduce
_multiply = np.multiply.reduce
_maximum = np.maximum.reduce
_minimum = np.minimum.reduce


def sum(x: Any, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """``numpy.sum``: the sum over ``axis`` (all axes when None)."""
    return _add(x, axis, dtype, None, keepdims)


def prod(x: Any, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """``numpy.prod``: the product over ``axis`` (all axes when None)."""
    return _multiply(x, axis, dtype, None, keepdims)


def max(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """``numpy.max``: the maximum over ``axis``; an empty reduction raises numpy's ValueError."""
    return _maximum(x, axis, None, None, keepdims)


def min(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """``numpy.min``: the minimum over ``axis``; an empty reduction raises numpy's ValueError."""
    return _minimum(x, axis, None, None, keepdims)


FUNCTIONS = {"sum": sum, "prod": prod, "max": max, "min": min}
