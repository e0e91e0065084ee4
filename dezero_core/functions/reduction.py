"""Reductions: sum."""
from __future__ import annotations

from typing import Any

from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked


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


@checked((Arg((2, 3)),), (Arg((2, 3)), 0), (Arg((2, 3, 4)), (0, 2)), (Arg((2, 3)), 1, True),
         (Arg((2, 3)), None, True), double_grad=True)
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:  # noqa: A001 - the book's name
    """Sum over ``axis`` (every axis when None); ``keepdims`` keeps reduced axes as size 1."""
    return Sum(axis, keepdims)(x)
