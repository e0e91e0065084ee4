"""Elementwise arithmetic: the functions behind Variable's operators.

Python scalars get functions of their own (``x * 2.0`` is ``mul_scalar``): they stay Python scalars,
so they never promote a float32 array to float64, and they need no gradient.
"""
from __future__ import annotations

import math
import operator
from typing import Any

from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked

A23 = Arg((2, 3))
B3 = Arg((3,))


class ScalarFunction(Function):
    """A function of one array and a Python scalar ``c``, which needs no gradient.

    ``c`` is kept a plain ``int`` or ``float``: numpy's float64 scalar (a ``float`` subclass) or a
    0-d array would promote a float32 array to float64.
    """

    def __init__(self, c: Any) -> None:
        self.c = c if type(c) is float or type(c) is int else _plain_number(c)


def _plain_number(c: Any) -> int | float:
    """``c`` (a numpy scalar, a bool, a 0-d array) as a Python ``int`` or ``float``."""
    try:
        return operator.index(c)  # integers stay integers: x ** 2 must not become x ** 2.0
    except TypeError:
        return float(c)


class Add(Function):
    def forward(self, xp, a, b):
        return a + b

    def backward(self, xp, xs, y, gy):
        a, b = xs
        ga = xp.sum_to(gy, a.shape) if self.needs_grad[0] else None
        gb = xp.sum_to(gy, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Sub(Function):
    def forward(self, xp, a, b):
        return a - b

    def backward(self, xp, xs, y, gy):
        a, b = xs
        ga = xp.sum_to(gy, a.shape) if self.needs_grad[0] else None
        gb = -xp.sum_to(gy, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Mul(Function):
    def forward(self, xp, a, b):
        return a * b

    def backward(self, xp, xs, y, gy):
        a, b = xs
        ga = xp.sum_to(gy * b, a.shape) if self.needs_grad[0] else None
        gb = xp.sum_to(gy * a, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, xp, a, b):
        return a / b

    def backward(self, xp, xs, y, gy):
        a, b = xs
        ga = gy / b
        gb = xp.sum_to(-ga * a / b, b.shape) if self.needs_grad[1] else None
        return (xp.sum_to(ga, a.shape) if self.needs_grad[0] else None), gb


class Neg(Function):
    def forward(self, xp, x):
        return -x

    def backward(self, xp, xs, y, gy):
        return -gy


class Power(Function):
    """``a ** b`` with both sides arrays.

    At ``a = 0`` the formulas give ``0 * inf`` and ``0 * log 0``: the gradient for ``a`` is 0 where
    ``b == 0`` (``a ** 0`` is constant), the gradient for ``b`` is 0 where ``a == 0`` and ``b >= 0``
    (the one-sided limit, as PyTorch gives).
    """

    def forward(self, xp, a, b):
        return a ** b

    def backward(self, xp, xs, y, gy):
        a, b = xs
        ga = gb = None
        if self.needs_grad[0]:
            constant = xp.equal(b, 0)  # a ** (b - 1) there only where it is used: no 0 ** -1
            ga = xp.sum_to(xp.where(constant, 0, gy * b * xp.where(constant, 1, a) ** (b - 1)), a.shape)
        if self.needs_grad[1]:
            at_zero = xp.logical_and(xp.equal(a, 0), xp.greater_equal(b, 0))
            gb = xp.sum_to(xp.where(at_zero, 0, gy * y * xp.log(xp.where(at_zero, 1, a))), b.shape)
        return ga, gb


class AddScalar(ScalarFunction):
    def forward(self, xp, x):
        return x + self.c

    def backward(self, xp, xs, y, gy):
        return gy


class MulScalar(ScalarFunction):
    def forward(self, xp, x):
        return x * self.c

    def backward(self, xp, xs, y, gy):
        return gy * self.c


class DivScalar(ScalarFunction):
    def forward(self, xp, x):
        return x / self.c

    def backward(self, xp, xs, y, gy):
        return gy / self.c


class RSubScalar(ScalarFunction):
    """``c - x``."""

    def forward(self, xp, x):
        return self.c - x

    def backward(self, xp, xs, y, gy):
        return -gy


class RDivScalar(ScalarFunction):
    """``c / x``."""

    def forward(self, xp, x):
        return self.c / x

    def backward(self, xp, xs, y, gy):
        x, = xs
        return -gy * y / x


class Pow(ScalarFunction):
    """``x ** c`` for a Python scalar ``c`` (the book's Pow); ``x ** 0`` is constant, its gradient 0
    everywhere (the formula would give ``0 * 0**-1``, nan, at x = 0)."""

    def forward(self, xp, x):
        return x ** self.c

    def backward(self, xp, xs, y, gy):
        if self.c == 0:
            return xp.zeros_like(gy)
        x, = xs
        return gy * self.c * x ** (self.c - 1)


class RPowScalar(ScalarFunction):
    """``c ** x`` for a Python scalar ``c``; for ``c = 0`` the gradient is 0 where x >= 0 and -inf
    below (``0 ** x`` is 0, then inf), as PyTorch gives."""

    def forward(self, xp, x):
        return self.c ** x

    def backward(self, xp, xs, y, gy):
        if self.c == 0:
            return xp.where(xp.greater_equal(xs[0], 0), 0, gy * -math.inf)
        return gy * y * (math.log(self.c) if self.c > 0 else math.nan)  # log of a negative base: nan


@checked((A23, A23), (A23, B3), (Arg((2, 1)), Arg((1, 3))), double_grad=True)
def add(a: Any, b: Any) -> Variable:
    """``a + b`` with broadcasting."""
    return Add()(a, b)


@checked((A23, A23), (A23, B3), double_grad=True)
def sub(a: Any, b: Any) -> Variable:
    """``a - b`` with broadcasting."""
    return Sub()(a, b)


@checked((A23, A23), (A23, B3), (Arg((2, 1)), Arg((1, 3))), double_grad=True)
def mul(a: Any, b: Any) -> Variable:
    """``a * b`` with broadcasting."""
    return Mul()(a, b)


@checked((A23, Arg((2, 3), 0.5, 2.0)), (A23, Arg((3,), 0.5, 2.0)), double_grad=True)
def div(a: Any, b: Any) -> Variable:
    """``a / b`` with broadcasting."""
    return Div()(a, b)


@checked((A23,), double_grad=True)
def neg(x: Any) -> Variable:
    """``-x``."""
    return Neg()(x)


@checked((Arg((2, 3), 0.5, 2.0), Arg((2, 3), -1.0, 1.0)), (Arg((2, 3), 0.5, 2.0), Arg((3,), 0.5, 1.5)),
         double_grad=True)
def power(a: Any, b: Any) -> Variable:
    """``a ** b`` elementwise, both sides differentiable."""
    return Power()(a, b)


@checked((A23, 2.5), (A23, -1))
def add_scalar(x: Any, c: float) -> Variable:
    """``x + c`` for a Python scalar ``c`` (keeps the dtype of ``x``)."""
    return AddScalar(c)(x)


@checked((A23, 3.0), (A23, -2))
def mul_scalar(x: Any, c: float) -> Variable:
    """``x * c`` for a Python scalar ``c`` (keeps the dtype of ``x``)."""
    return MulScalar(c)(x)


@checked((A23, 4.0))
def div_scalar(x: Any, c: float) -> Variable:
    """``x / c`` for a Python scalar ``c`` (keeps the dtype of ``x``)."""
    return DivScalar(c)(x)


@checked((A23, 1.5))
def rsub_scalar(x: Any, c: float) -> Variable:
    """``c - x`` for a Python scalar ``c``."""
    return RSubScalar(c)(x)


@checked((Arg((2, 3), 0.5, 2.0), 3.0), double_grad=True)
def rdiv_scalar(x: Any, c: float) -> Variable:
    """``c / x`` for a Python scalar ``c``."""
    return RDivScalar(c)(x)


@checked((Arg((2, 3), 0.5, 2.0), 3), (Arg((2, 3), 0.5, 2.0), 0.5), (Arg((2, 3), 0.5, 2.0), -2.0),
         double_grad=True)
def pow(x: Any, c: float) -> Variable:  # noqa: A001 - the book's name
    """``x ** c`` for a Python scalar ``c``."""
    return Pow(c)(x)


@checked((A23, 2.0))
def rpow_scalar(x: Any, c: float) -> Variable:
    """``c ** x`` for a positive Python scalar ``c``."""
    return RPowScalar(c)(x)
