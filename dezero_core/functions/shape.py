"""Functions that change the shape or the order of axes, not the elements: reshape, transpose
(permute_dims, matrix_transpose), broadcast_to, sum_to, expand_dims (unsqueeze), squeeze, flatten.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from dezero_core.functions.validation import axis_in, integer
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked


class Reshape(Function):
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, xp, x):
        return xp.reshape(x, self.shape)

    def backward(self, xp, xs, y, gy):
        return xp.reshape(gy, xs[0].shape)


class Transpose(Function):
    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def forward(self, xp, x):
        axes = self.axes if self.axes is not None else tuple(range(x.ndim))[::-1]
        self.axes = tuple(a % x.ndim for a in axes)
        return xp.permute_dims(x, self.axes)

    def backward(self, xp, xs, y, gy):
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return xp.permute_dims(gy, inverse)


class BroadcastTo(Function):
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, xp, x):
        return xp.broadcast_to(x, self.shape)

    def backward(self, xp, xs, y, gy):
        return xp.sum_to(gy, xs[0].shape)


class SumTo(Function):
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, xp, x):
        return xp.sum_to(x, self.shape)

    def backward(self, xp, xs, y, gy):
        return xp.broadcast_to(gy, xs[0].shape)


def _shape_arg(fn: str, shape: Sequence[int] | int) -> tuple[int, ...]:
    """``shape`` (an int or a sequence of ints, numpy's integers included) as a tuple of Python ints."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        return (shape,)
    try:
        if not hasattr(shape, "__len__") or getattr(shape, "ndim", 1) == 0:
            return (integer(shape),)
        return tuple(integer(n) for n in shape)
    except TypeError:
        raise TypeError(f"{fn}: shape must be an int or a sequence of ints, got {shape!r}") from None


@checked((Arg((2, 3)), (3, 2)), (Arg((2, 3)), (6,)), (Arg((2, 3)), (-1, 2)), double_grad=True)
def reshape(x: Any, shape: Sequence[int] | int) -> Variable:
    """``x`` with a new shape holding the same elements (``-1`` infers one dimension)."""
    shape = _shape_arg("reshape", shape)
    if isinstance(x, Variable) and x.shape == shape:
        return x
    return Reshape(shape)(x)


@checked((Arg((2, 3)),), (Arg((2, 3, 4)), (1, 0, 2)), (Arg((2, 3, 4)), (-1, 0, 1)), double_grad=True)
def transpose(x: Any, axes: Sequence[int] | None = None) -> Variable:
    """Permute the axes of ``x`` (reverse them when ``axes`` is None)."""
    return Transpose(None if axes is None else tuple(axes))(x)


@checked((Arg((2, 3, 4)), (1, 0, 2)), double_grad=True)
def permute_dims(x: Any, axes: Sequence[int]) -> Variable:
    """The array API's name for :func:`transpose` with explicit axes."""
    return Transpose(tuple(axes))(x)


@checked((Arg((2, 3, 4)),), double_grad=True)
def matrix_transpose(x: Any) -> Variable:
    """Swap the last two axes (the array API's ``matrix_transpose``)."""
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return Transpose(axes)(x)


@checked((Arg((3,)), (2, 3)), (Arg((2, 1)), (2, 3)), double_grad=True)
def broadcast_to(x: Any, shape: Sequence[int]) -> Variable:
    """``x`` broadcast to ``shape``; the gradient sums back over the broadcast axes."""
    shape = _shape_arg("broadcast_to", shape)
    if isinstance(x, Variable) and x.shape == shape:
        return x
    return BroadcastTo(shape)(x)


@checked((Arg((2, 3)), (1, 3)), (Arg((2, 3)), (3,)), (Arg((2, 3)), (2, 1)), double_grad=True)
def sum_to(x: Any, shape: Sequence[int]) -> Variable:
    """Sum ``x`` over broadcast axes so that its shape becomes ``shape``."""
    shape = _shape_arg("sum_to", shape)
    if isinstance(x, Variable) and x.shape == shape:
        return x
    return SumTo(shape)(x)


# expand_dims, squeeze and flatten are reshape with a computed shape: their gradient is reshape's
def _axes(axis: int | Sequence[int]) -> tuple[int, ...]:
    return (axis,) if isinstance(axis, int) else tuple(axis)


@checked((Arg((2, 3)), 0), (Arg((2, 3)), -1), (Arg((2, 3)), (0, 3)), double_grad=True)
def expand_dims(x: Any, axis: int | Sequence[int] = 0) -> Variable:
    """Insert size-1 axes at ``axis`` (positions in the result; an int or a sequence of ints)."""
    axes = _axes(axis)
    ndim = x.ndim + len(axes)
    positions = {axis_in("expand_dims", a, ndim) for a in axes}
    if len(positions) != len(axes):
        raise ValueError(f"expand_dims: axis={axis} names the same position twice")
    dims = iter(x.shape)
    return reshape(x, tuple(1 if i in positions else next(dims) for i in range(ndim)))


@checked((Arg((2, 3)), 1), double_grad=True)
def unsqueeze(x: Any, axis: int) -> Variable:
    """PyTorch's name for :func:`expand_dims` with one axis."""
    return expand_dims(x, axis)


@checked((Arg((2, 1, 3, 1)),), (Arg((2, 1, 3)), 1), (Arg((1, 3, 1)), (0, -1)), double_grad=True)
def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Variable:
    """Remove the size-1 axes named by ``axis`` (every size-1 axis when None)."""
    if axis is None:
        drop = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        drop = {axis_in("squeeze", a, x.ndim) for a in _axes(axis)}
        for a in sorted(drop):
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {x.shape[a]} in shape {tuple(x.shape)}; "
                                 f"only size-1 axes can be removed")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in drop))


@checked((Arg((2, 3, 4)),), (Arg((2, 3, 4, 5)), 1, 2), (Arg((2, 3, 4)), 0), double_grad=True)
def flatten(x: Any, start_axis: int = 1, end_axis: int = -1) -> Variable:
    """Merge the axes ``start_axis..end_axis`` (inclusive) into one.

    The defaults keep the batch axis, as the book's ``flatten`` (``(N, ...)`` becomes ``(N, -1)``);
    ``flatten(x, 0)`` gives a 1-D array, as ``torch.flatten(x)``.
    """
    start = axis_in("flatten", start_axis, x.ndim, "start_axis")
    end = axis_in("flatten", end_axis, x.ndim, "end_axis")
    if start > end:
        raise ValueError(f"flatten: start_axis={start_axis} comes after end_axis={end_axis} "
                         f"for shape {tuple(x.shape)}")
    shape = tuple(x.shape)
    return reshape(x, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])
