"""Elementwise math: sin, cos, tanh, exp, log, sqrt, abs, erf, maximum, minimum, clip, where.

Each takes floating-point data only: on integers numpy would silently compute in float64. Names and
signatures follow the array API standard, so a backward that calls ``xp.sqrt`` or ``xp.where``
records these functions when ``create_graph=True``.
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.functions.validation import data_of, is_bool, require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked

A = Arg((2, 3))
POSITIVE = Arg((2, 3), 0.5, 2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def select(xp: Any, mask: Any, g: Any) -> Any:
    """``g`` where ``mask`` holds, 0 elsewhere (a gradient routed through a comparison).

    A product with the mask cast to ``g``'s dtype, not ``where``: on a mask without a pattern
    (ReLU's) numpy's ``where`` mispredicts its branches and costs ten times a multiply. The mask
    is a constant, so it is cast on the arrays even under ``create_graph``. Unlike ``where``, an
    infinite gradient at a masked-out position gives nan there instead of 0.
    """
    return g * xp.backend.ops.astype(data_of(mask), g.dtype)


class Sin(Function):
    def forward(self, xp, x):
        return xp.sin(x)

    def backward(self, xp, xs, y, gy):
        return gy * xp.cos(xs[0])


class Cos(Function):
    def forward(self, xp, x):
        return xp.cos(x)

    def backward(self, xp, xs, y, gy):
        return -gy * xp.sin(xs[0])


class Tanh(Function):
    def forward(self, xp, x):
        return xp.tanh(x)

    def backward(self, xp, xs, y, gy):
        return gy * (1 - y * y)


class Exp(Function):
    def forward(self, xp, x):
        return xp.exp(x)

    def backward(self, xp, xs, y, gy):
        return gy * y


class Log(Function):
    def forward(self, xp, x):
        return xp.log(x)

    def backward(self, xp, xs, y, gy):
        return gy / xs[0]


@checked((A,), double_grad=True)
def sin(x: Any) -> Variable:
    """Elementwise sine."""
    require_float("sin", x)
    return Sin()(x)


@checked((A,), double_grad=True)
def cos(x: Any) -> Variable:
    """Elementwise cosine."""
    require_float("cos", x)
    return Cos()(x)


@checked((A,), double_grad=True)
def tanh(x: Any) -> Variable:
    """Elementwise hyperbolic tangent."""
    require_float("tanh", x)
    return Tanh()(x)


@checked((A,), double_grad=True)
def exp(x: Any) -> Variable:
    """Elementwise exponential."""
    require_float("exp", x)
    return Exp()(x)


@checked((POSITIVE,), double_grad=True)
def log(x: Any) -> Variable:
    """Elementwise natural logarithm."""
    require_float("log", x)
    return Log()(x)


class Sqrt(Function):
    def forward(self, xp, x):
        return xp.sqrt(x)

    def backward(self, xp, xs, y, gy):
        return gy / (2 * y)


class Abs(Function):
    def forward(self, xp, x):
        return xp.abs(x)

    def backward(self, xp, xs, y, gy):
        return gy * xp.sign(xs[0])


class Erf(Function):
    def forward(self, xp, x):
        return xp.erf(x)

    def backward(self, xp, xs, y, gy):
        x, = xs
        return gy * (_TWO_OVER_SQRT_PI * xp.exp(-(x * x)))


class Maximum(Function):
    """``maximum(a, b)``; at ties the gradient goes to ``a``."""

    def forward(self, xp, a, b):
        return xp.maximum(a, b)

    def backward(self, xp, xs, y, gy):
        a, b = xs
        return self._route(xp, a >= b, a, b, gy)

    def _route(self, xp: Any, to_a: Any, a: Any, b: Any, gy: Any) -> tuple[Any, Any]:
        ga = xp.sum_to(select(xp, to_a, gy), a.shape) if self.needs_grad[0] else None
        gb = xp.sum_to(xp.where(to_a, 0, gy), b.shape) if self.needs_grad[1] else None
        return ga, gb


class Minimum(Maximum):
    """``minimum(a, b)``; at ties the gradient goes to ``a``."""

    def forward(self, xp, a, b):
        return xp.minimum(a, b)

    def backward(self, xp, xs, y, gy):
        a, b = xs
        return self._route(xp, a <= b, a, b, gy)


class Clip(Function):
    def __init__(self, low: float | None, high: float | None) -> None:
        self.low = low
        self.high = high

    def forward(self, xp, x):
        return xp.clip(x, self.low, self.high)

    def backward(self, xp, xs, y, gy):
        x, = xs
        # the gradient passes where x is inside [low, high] (bounds included, as in the book)
        if self.low is None:
            inside = x <= self.high
        elif self.high is None:
            inside = x >= self.low
        else:
            inside = xp.logical_and(x >= self.low, x <= self.high)
        return select(xp, inside, gy)


class Where(Function):
    """``where(condition, a, b)``, with the inputs in the order ``(a, b, condition)``: a Python scalar
    ``a`` or ``b`` then takes the other's dtype, as in eager's other binary functions (not the
    condition's). The condition is an input (a mask computed in the graph) and gets no gradient."""

    def forward(self, xp, a, b, condition):
        return xp.where(condition, a, b)

    def backward(self, xp, xs, y, gy):
        a, b, condition = xs
        ga = xp.sum_to(select(xp, condition, gy), a.shape) if self.needs_grad[0] else None
        gb = xp.sum_to(xp.where(condition, 0, gy), b.shape) if self.needs_grad[1] else None
        return ga, gb, None


@checked((POSITIVE,), double_grad=True)
def sqrt(x: Any) -> Variable:
    """Elementwise square root (the gradient is infinite at 0)."""
    require_float("sqrt", x)
    return Sqrt()(x)


@checked((Arg((2, 3), away_from=(0.0,)),), double_grad=True)
def abs(x: Any) -> Variable:  # noqa: A001 - the array API's name
    """Elementwise absolute value; the gradient at 0 is 0 (``sign(0)``)."""
    require_float("abs", x)
    return Abs()(x)


@checked((Arg((2, 3), -2.5, 2.5),), double_grad=True)
def erf(x: Any) -> Variable:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``, elementwise.

    Computed by the backend's ``erf`` extra (a portable series/continued fraction unless the backend
    has a native kernel), accurate to the input's precision.
    """
    require_float("erf", x)
    return Erf()(x)


_APART = (Arg((2, 3), away_from=(0.0,)), Arg((2, 1), 0.0, 0.0))  # never a tie: a stays 0.05 from b
_APART_ROW = (Arg((2, 3), away_from=(0.25,)), Arg((3,), 0.25, 0.25))


@checked(_APART, _APART_ROW, (Arg((2, 3), away_from=(0.0,)), 0.0), double_grad=True)
def maximum(x1: Any, x2: Any) -> Variable:
    """Elementwise maximum with broadcasting; at ties the gradient goes to ``x1``."""
    require_float("maximum", x1, "x1")
    require_float("maximum", x2, "x2")
    return Maximum()(x1, x2)


@checked(_APART, _APART_ROW, (Arg((2, 3), away_from=(0.0,)), 0.0), double_grad=True)
def minimum(x1: Any, x2: Any) -> Variable:
    """Elementwise minimum with broadcasting; at ties the gradient goes to ``x1``."""
    require_float("minimum", x1, "x1")
    require_float("minimum", x2, "x2")
    return Minimum()(x1, x2)


@checked((Arg((2, 3), away_from=(-0.5, 0.5)), -0.5, 0.5), (Arg((2, 3), away_from=(0.2,)), 0.2),
         (Arg((2, 3), away_from=(0.2,)), None, 0.2), double_grad=True)
def clip(x: Any, x_min: float | None = None, x_max: float | None = None) -> Variable:
    """Clamp ``x`` to ``[x_min, x_max]`` (Python scalars; None leaves that side open).

    The gradient passes where ``x`` lies inside the bounds, bounds included. Positionally the same as
    the array API's ``clip(x, min, max)``.
    """
    require_float("clip", x)
    if x_min is not None and x_max is not None and x_min > x_max:
        raise ValueError(f"clip: x_min={x_min} is greater than x_max={x_max}")
    if x_min is None and x_max is None:
        raise ValueError("clip: give x_min, x_max or both")
    return Clip(x_min, x_max)(x)


_COND = Arg((2, 3), dtype="bool")


@checked((_COND, Arg((2, 3)), Arg((2, 3))), (_COND, Arg((3,)), Arg((2, 1))), (_COND, Arg((2, 3)), 0.0),
         double_grad=True)
def where(condition: Any, x1: Any, x2: Any) -> Variable:
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast together); ``condition`` gets no gradient.

    ``x1`` or ``x2`` may be a Python scalar (it takes the other's dtype).
    """
    cond = data_of(condition)
    if not hasattr(cond, "dtype") or not is_bool(cond):
        raise TypeError(f"where: condition must be a boolean array or Variable, got "
                        f"{getattr(cond, 'dtype', type(cond).__name__)}; build it with a comparison "
                        f"such as x > 0")
    require_float("where", x1, "x1")
    require_float("where", x2, "x2")
    if isinstance(x1, (int, float)) and isinstance(x2, (int, float)):
        raise TypeError(f"where: x1 or x2 must be an array or a Variable, got two Python scalars ({x1!r}, "
                        f"{x2!r}); the result takes its dtype from the array")
    return Where()(x1, x2, condition)
