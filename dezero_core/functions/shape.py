"""Functions that move elements without computing with them: reshape, transpose, broadcast, index."""
from __future__ import annotations

from typing import Any, Sequence

from dezero_core.functions.validation import integer
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


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


class GetItem(Function):
    def __init__(self, key: Any) -> None:
        self.key = key

    def forward(self, xp, x):
        key = self.key
        if len(key) == 1 and x.ndim > 1 and _is_index_array(xp, key[0]):
            # rows of x picked by an index array (embeddings): the array API spells it take()
            rows = xp.take(x, xp.reshape(key[0], (-1,)), axis=0)
            return xp.reshape(rows, tuple(key[0].shape) + tuple(x.shape[1:]))
        return x[key]

    def backward(self, xp, xs, y, gy):
        if isinstance(gy, Variable):  # create_graph: the scatter itself must be differentiable
            return GetItemGrad(self.key, xs[0].shape)(gy)
        return _scatter(xp, self.key, xs[0].shape, gy)


class GetItemGrad(Function):
    """The gradient of ``x[key]``: ``gy`` scatter-added into zeros of ``x``'s shape."""

    def __init__(self, key: Any, shape: tuple[int, ...]) -> None:
        self.key = key
        self.shape = shape

    def forward(self, xp, gy):
        return _scatter(xp, self.key, self.shape, gy)

    def backward(self, xp, xs, y, ggx):
        return get_item(ggx, self.key)


def _is_index_array(xp: Any, k: Any) -> bool:
    return hasattr(k, "dtype") and hasattr(k, "shape") and xp.isdtype(k.dtype, "integral")


def _scatter(xp: Any, key: Any, shape: tuple[int, ...], gy: Any) -> Any:
    gx = xp.zeros(shape, dtype=gy.dtype, device=getattr(gy, "device", None))
    xp.scatter_add(gx, key, gy)
    return gx


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


@checked(Sample((Arg((3, 4)), 1)), Sample((Arg((3, 4)), (slice(None), slice(1, 3)))),
         Sample((Arg((3, 4)), (Ellipsis, 2))), Sample((Arg((3, 4)), Arg((2, 3), 0, 3, dtype="int64"))),
         Sample((Arg((5,)), Arg((4,), 0, 5, dtype="int64"))), double_grad=True)
def get_item(x: Any, key: Any) -> Variable:
    """``x[key]``; the gradient scatter-adds, so repeated indices accumulate."""
    key = tuple(k.data if isinstance(k, Variable) else k for k in (key if isinstance(key, tuple) else (key,)))
    if not any(k is Ellipsis or hasattr(k, "shape") for k in key):
        # numpy reads x[1] as x[1, ...]; the array API asks for the ellipsis: spell it out
        # (not beside index arrays, which the array API allows only with integers)
        key += (Ellipsis,)
    return GetItem(key)(x)
