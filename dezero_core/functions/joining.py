"""Joining and cutting arrays: concat, stack, split, and pad (a constant border around one array).

They move data and have their own backward, written with slicing and ``xp.concat`` so that it is
differentiable again.
"""
from __future__ import annotations

from typing import Any, Sequence

from dezero_core.functions.shape import reshape
from dezero_core.functions.validation import axis_in
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


def _along(axis: int, index: Any) -> tuple[Any, ...]:
    """The key that selects ``index`` (an int or a slice) along ``axis`` and everything elsewhere."""
    return (slice(None),) * axis + (index, Ellipsis)


class Concat(Function):
    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, xp, *xs):
        return xp.concat(xs, axis=self.axis)

    def backward(self, xp, xs, y, gy):
        grads, start = [], 0
        for x, needed in zip(xs, self.needs_grad):
            stop = start + x.shape[self.axis]
            grads.append(gy[_along(self.axis, slice(start, stop))] if needed else None)
            start = stop
        return tuple(grads)


class Stack(Function):
    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, xp, *xs):
        return xp.stack(xs, axis=self.axis)

    def backward(self, xp, xs, y, gy):
        return tuple(gy[_along(self.axis, i)] if needed else None for i, needed in enumerate(self.needs_grad))


class Split(Function):
    """``x`` cut along ``axis`` at ``bounds`` (the start of each piece after the first)."""

    def __init__(self, bounds: tuple[int, ...], axis: int) -> None:
        self.bounds = bounds
        self.axis = axis

    def pieces(self, size: int) -> list[slice]:
        """The slice of each output along ``axis``."""
        edges = (0,) + self.bounds + (size,)
        return [slice(a, b) for a, b in zip(edges, edges[1:])]

    def forward(self, xp, x):
        return tuple(x[_along(self.axis, s)] for s in self.pieces(x.shape[self.axis]))

    def backward(self, xp, xs, y, gys):
        x, = xs
        shape = list(x.shape)
        parts = []
        for s, g in zip(self.pieces(shape[self.axis]), gys):
            if g is None:  # this piece was not used: its gradient is zero
                shape[self.axis] = s.stop - s.start
                g = xp.zeros(tuple(shape), dtype=x.dtype, device=x.device)
            parts.append(g)
        return xp.concat(parts, axis=self.axis)


class Pad(Function):
    def __init__(self, widths: tuple[tuple[int, int], ...], value: float) -> None:
        self.widths = widths
        self.value = value

    def inner(self, shape: tuple[int, ...]) -> tuple[slice, ...]:
        """Where the input sits inside the padded output."""
        return tuple(slice(before, before + n) for (before, _), n in zip(self.widths, shape))

    def forward(self, xp, x):
        shape = tuple(n + before + after for n, (before, after) in zip(x.shape, self.widths))
        y = xp.full(shape, self.value, dtype=x.dtype, device=x.device)
        y[self.inner(x.shape)] = x
        return y

    def backward(self, xp, xs, y, gy):
        return gy[self.inner(xs[0].shape)]


def _same_shapes(fn: str, arrays: Sequence[Any], axis: int | None) -> None:
    """Raise when the inputs' shapes differ (outside ``axis`` when given), listing them all."""
    shapes = [tuple(a.shape) for a in arrays]
    if axis is None:
        ok = all(s == shapes[0] for s in shapes)
        rule = "the same shape"
    else:
        ok = all(len(s) == len(shapes[0]) and s[:axis] + s[axis + 1:] == shapes[0][:axis] + shapes[0][axis + 1:]
                 for s in shapes)
        rule = f"the same number of dimensions and the same sizes except along axis {axis}"
    if not ok:
        raise ValueError(f"{fn}: every input needs {rule}; got shapes {', '.join(map(str, shapes))}")


def _sequence(fn: str, arrays: Any) -> list[Any]:
    """The inputs as a list; one array or Variable stands for the list of its rows (as in numpy)."""
    if hasattr(arrays, "shape"):
        if arrays.ndim == 0:
            raise TypeError(f"{fn}: expected a list of arrays or Variables, got a 0-d array")
        return [arrays[i] for i in range(arrays.shape[0])]
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise TypeError(f"{fn}: expected a non-empty list or tuple of arrays or Variables, got "
                        f"{type(arrays).__name__}")
    return list(arrays)


# One (k, ...) input stands for k arrays: the conformance suite draws top-level arrays only.
@checked(Sample((Arg((3, 2, 4)),), {"axis": 1}), Sample((Arg((2, 2, 3)),)),
         Sample((Arg((2, 2, 3)),), {"axis": None}), double_grad=True)
def concat(arrays: Sequence[Any], axis: int | None = 0) -> Variable:
    """Join arrays along an existing ``axis`` (flattened first when ``axis`` is None).

    ``arrays`` is a list or tuple of arrays or Variables, or one of them whose first axis is the
    list (as numpy's ``concatenate``).
    """
    arrays = _sequence("concat", arrays)
    if axis is None:
        arrays, axis = [reshape(a, (-1,)) for a in arrays], 0
    axis = axis_in("concat", axis, arrays[0].ndim)
    _same_shapes("concat", arrays, axis)
    return Concat(axis)(*arrays)


@checked(Sample((Arg((3, 2, 4)),)), Sample((Arg((3, 2, 4)),), {"axis": -1}), double_grad=True)
def stack(arrays: Sequence[Any], axis: int = 0) -> Variable:
    """Join same-shaped arrays along a new ``axis`` (``arrays`` as for :func:`concat`)."""
    arrays = _sequence("stack", arrays)
    _same_shapes("stack", arrays, None)
    return Stack(axis_in("stack", axis, arrays[0].ndim + 1))(*arrays)


@checked((Arg((6, 2)), 3), (Arg((2, 5)), [1, 3], 1), (Arg((2, 5)), [4], -1), double_grad=True)
def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> tuple[Variable, ...]:
    """Cut ``x`` along ``axis``: into that many equal pieces (an int), or at the given indices.

    ``split(x, 3)`` on 6 rows gives rows 0-1, 2-3, 4-5; ``split(x, [1, 3])`` gives ``x[:1]``,
    ``x[1:3]``, ``x[3:]`` (numpy's convention).
    """
    axis = axis_in("split", axis, x.ndim)
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0 or size % n:
            raise ValueError(f"split: axis {axis} of size {size} cannot be cut into {n} equal pieces")
        bounds = tuple(range(size // n, size, size // n))
    else:
        bounds = tuple(indices_or_sections)
        if list(bounds) != sorted(bounds) or any(not 0 <= b <= size for b in bounds):
            raise ValueError(f"split: indices {list(bounds)} must be increasing and within "
                             f"[0, {size}] (the size of axis {axis})")
    return Split(bounds, axis)(x)


def _pad_widths(fn: str, pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """numpy's pad_width forms: ``n``, ``(before, after)``, or one ``(before, after)`` per axis."""
    if isinstance(pad_width, int):
        widths = ((pad_width, pad_width),) * ndim
    elif len(pad_width) == 2 and all(isinstance(w, int) for w in pad_width):
        widths = (tuple(pad_width),) * ndim
    else:
        widths = tuple(tuple(w) for w in pad_width)
    if len(widths) != ndim or any(len(w) != 2 or w[0] < 0 or w[1] < 0 for w in widths):
        raise ValueError(f"{fn}: pad_width={pad_width!r} must be n, (before, after) or one "
                         f"(before, after) per axis ({ndim} axes), with non-negative widths")
    return widths


@checked((Arg((2, 3)), 1), (Arg((2, 3)), ((0, 1), (2, 0))), (Arg((2, 3)), (1, 2), 0.5), double_grad=True)
def pad(x: Any, pad_width: int | Sequence[Any], value: float = 0.0) -> Variable:
    """Pad ``x`` with the constant ``value``; ``pad_width`` as numpy's (per axis ``(before, after)``)."""
    return Pad(_pad_widths("pad", pad_width, x.ndim), value)(x)
