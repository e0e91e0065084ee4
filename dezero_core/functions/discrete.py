"""Functions with integer or boolean results: argmax, argmin, one_hot and the comparisons.

They have no gradient. Each returns a constant Variable (``requires_grad=False``), so its result can
flow into differentiable code (a mask into :func:`~dezero_core.functions.where`, labels into a loss)
without being recorded in the graph.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from dezero_core.backend.selection import backend_of
from dezero_core.functions.validation import check_labels, data_of, is_integral
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


def _constant(array: Any) -> Variable:
    return Variable(array, requires_grad=False)


@checked((Arg((2, 3)),), (Arg((2, 3)), 1), (Arg((2, 3, 4)), 0, True), grad=False)
def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Variable:
    """Indices of the maxima along ``axis`` (of the flattened array when None); not differentiable."""
    data = data_of(x)
    return _constant(backend_of(data).xp.argmax(data, axis=axis, keepdims=keepdims))


@checked((Arg((2, 3)),), (Arg((2, 3)), 1), (Arg((2, 3, 4)), 0, True), grad=False)
def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Variable:
    """Indices of the minima along ``axis`` (of the flattened array when None); not differentiable."""
    data = data_of(x)
    return _constant(backend_of(data).xp.argmin(data, axis=axis, keepdims=keepdims))


@checked((Arg((4,), 0, 5, dtype="int64"), 5), Sample((Arg((2, 3), 0, 4, dtype="int64"), 4), {"dtype": "float64"}),
         grad=False)
def one_hot(t: Any, num_classes: int | None = None, dtype: Any = "float32") -> Variable:
    """``t``'s integer labels as one-hot vectors along a new last axis: shape ``t.shape + (C,)``.

    ``num_classes`` defaults to ``max(t) + 1`` (which reads the labels back). ``dtype`` is a dtype
    of ``t``'s backend or its name (default float32, what a float32 model consumes; PyTorch gives
    int64). Not differentiable.
    """
    data = data_of(t)
    xp = backend_of(data).xp
    if not is_integral(data):
        raise TypeError(f"one_hot: labels t must be integers, got dtype {data.dtype}")
    if num_classes is None:
        if math.prod(data.shape) == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty labels; pass num_classes")
        num_classes = int(xp.max(data)) + 1
    check_labels("one_hot", data, num_classes)
    dtype = getattr(xp, dtype) if isinstance(dtype, str) else dtype
    classes = xp.arange(num_classes, dtype=data.dtype)
    return _constant(xp.astype(xp.expand_dims(data, axis=-1) == classes, dtype))


def _comparison(name: str, symbol: str) -> Callable[[Any, Any], Variable]:
    """The public function ``name(x1, x2)``: ``x1 <symbol> x2`` through the array API's ``name``."""

    def compare(x1: Any, x2: Any) -> Variable:
        a, b = data_of(x1), data_of(x2)
        xp = backend_of(a if hasattr(a, "dtype") else b).xp
        return _constant(getattr(xp, name)(a, b))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (f"``x1 {symbol} x2`` elementwise with broadcasting, as a boolean constant "
                       f"Variable (not differentiable); either side may be a Python scalar.")
    return checked((Arg((2, 3)), Arg((2, 3))), (Arg((2, 3)), Arg((3,))), (Arg((2, 3)), 0.0),
                   grad=False)(compare)


equal = _comparison("equal", "==")
not_equal = _comparison("not_equal", "!=")
less = _comparison("less", "<")
less_equal = _comparison("less_equal", "<=")
greater = _comparison("greater", ">")
greater_equal = _comparison("greater_equal", ">=")
