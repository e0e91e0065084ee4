"""Elementwise mathematical functions: sin, cos, tanh, exp, log.

Each takes floating-point data only: on integers numpy would silently compute in float64.
"""
from __future__ import annotations

from typing import Any

from dezero_core.functions.validation import require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked

A = Arg((2, 3))
POSITIVE = Arg((2, 3), 0.5, 2.0)


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
