"""Reductions: sum, mean (the book's average), max, min, var, std, logsumexp.

argmax and argmin, which have no gradient, live in :mod:`dezero_core.functions.discrete`. Names and
keywords follow the array API standard (``var(x, axis=..., correction=..., keepdims=...)``), so
backward code can call them through ``xp``.
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.functions.elementwise import select, sqrt
from dezero_core.functions.validation import require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked

_REDUCTIONS = ((Arg((2, 3)),), (Arg((2, 3)), 0), (Arg((2, 3, 4)), (0, 2)), (Arg((2, 3)), 1, True),
               (Arg((2, 3)), None, True))


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))


def restore_reduced(xp: Any, gy: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """Reshape the gradient of a reduction so that it broadcasts back to the input's ``shape``."""
    if not keepdims and shape:
        kept = list(shape)
        for a in normalize_axis(axis, len(shape)):
            kept[a] = 1
        gy = xp.reshape(gy, tuple(kept))
    return gy


class Sum(Function):
    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, xp, x):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return xp.sum(x, axis=axis, keepdims=self.keepdims)

    def backward(self, xp, xs, y, gy):
        x, = xs
        gy = restore_reduced(xp, gy, x.shape, self.axis, self.keepdims)
        return xp.broadcast_to(gy, x.shape)


def _axis(axis: Any) -> Any:
    """``axis`` as the array API accepts it (a list becomes a tuple)."""
    return tuple(axis) if isinstance(axis, list) else axis


def _count(shape: tuple[int, ...], axis: Any) -> int:
    """How many elements each output of a reduction over ``axis`` combines."""
    return math.prod(shape[a] for a in normalize_axis(axis, len(shape)))


class _Reduction(Function):
    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis = _axis(axis)
        self.keepdims = keepdims

    def expand(self, xp: Any, reduced: Any, shape: tuple[int, ...]) -> Any:
        """A reduced array (an output or its gradient) reshaped to broadcast against the input."""
        return restore_reduced(xp, reduced, shape, self.axis, self.keepdims)


class Mean(_Reduction):
    def forward(self, xp, x):
        return xp.mean(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp, xs, y, gy):
        x, = xs
        return xp.broadcast_to(self.expand(xp, gy, x.shape) / _count(x.shape, self.axis), x.shape)


class Max(_Reduction):
    """The maximum; the gradient is shared equally between tied maxima (their sum stays ``gy``)."""

    def forward(self, xp, x):
        return xp.max(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp, xs, y, gy):
        x, = xs
        hit = x == self.expand(xp, y, x.shape)
        ties = xp.sum(select(xp, hit, xp.ones_like(x)), axis=self.axis, keepdims=True)
        return select(xp, hit, self.expand(xp, gy, x.shape) / ties)


class Min(Max):
    """The minimum; the gradient is shared equally between tied minima."""

    def forward(self, xp, x):
        return xp.min(x, axis=self.axis, keepdims=self.keepdims)


class Var(_Reduction):
    def __init__(self, axis: Any, keepdims: bool, correction: float) -> None:
        super().__init__(axis, keepdims)
        self.correction = correction

    def forward(self, xp, x):
        return xp.var(x, axis=self.axis, correction=self.correction, keepdims=self.keepdims)

    def backward(self, xp, xs, y, gy):
        x, = xs
        dof = _count(x.shape, self.axis) - self.correction
        scale = 2 / dof if dof > 0 else math.nan  # the forward is nan or inf there too
        centered = x - xp.mean(x, axis=self.axis, keepdims=True)
        return self.expand(xp, gy, x.shape) * centered * scale


class LogSumExp(_Reduction):
    def forward(self, xp, x):
        shift = xp.max(x, axis=self.axis, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)  # all -inf (or an inf): no nan from inf - inf
        y = xp.log(xp.sum(xp.exp(x - shift), axis=self.axis, keepdims=True)) + shift
        if self.keepdims:
            return y
        return xp.reshape(y, tuple(n for i, n in enumerate(x.shape)
                                   if i not in normalize_axis(self.axis, x.ndim)))

    def backward(self, xp, xs, y, gy):
        x, = xs
        return self.expand(xp, gy, x.shape) * xp.exp(x - self.expand(xp, y, x.shape))


@checked(*_REDUCTIONS, double_grad=True)
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:  # noqa: A001 - the book's name
    """Sum over ``axis`` (every axis when None); ``keepdims`` keeps reduced axes as size 1."""
    return Sum(axis, keepdims)(x)


@checked(*_REDUCTIONS, double_grad=True)
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The arithmetic mean over ``axis`` (every axis when None)."""
    require_float("mean", x)
    return Mean(axis, keepdims)(x)


@checked(*_REDUCTIONS, double_grad=True)
def average(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The book's name for :func:`mean`."""
    return mean(x, axis, keepdims)


@checked(*_REDUCTIONS, double_grad=True)
def max(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:  # noqa: A001 - the book's name
    """The maximum over ``axis``; tied maxima share the gradient equally."""
    require_float("max", x)
    return Max(axis, keepdims)(x)


@checked(*_REDUCTIONS, double_grad=True)
def min(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:  # noqa: A001 - the book's name
    """The minimum over ``axis``; tied minima share the gradient equally."""
    require_float("min", x)
    return Min(axis, keepdims)(x)


@checked(*_REDUCTIONS, Sample((Arg((3, 4)),), {"axis": 1, "correction": 1}), double_grad=True)
def var(x: Any, axis: Any = None, keepdims: bool = False, correction: float = 0) -> Variable:
    """The variance over ``axis``: ``sum((x - mean)^2) / (n - correction)``.

    ``correction=0`` (the array API's and numpy's default) is the population variance; PyTorch's
    default is the unbiased ``correction=1``.
    """
    require_float("var", x)
    return Var(axis, keepdims, correction)(x)


@checked(*_REDUCTIONS, Sample((Arg((3, 4)),), {"axis": 1, "correction": 1}), double_grad=True)
def std(x: Any, axis: Any = None, keepdims: bool = False, correction: float = 0) -> Variable:
    """The standard deviation ``sqrt(var(x, axis, keepdims, correction))`` (see :func:`var`)."""
    return sqrt(var(x, axis, keepdims, correction))


@checked(*_REDUCTIONS, (Arg((2, 3), -50.0, 50.0), 1), double_grad=True)
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """``log(sum(exp(x)))`` over ``axis``, shifted by the maximum so that it never overflows."""
    require_float("logsumexp", x)
    return LogSumExp(axis, keepdims)(x)
