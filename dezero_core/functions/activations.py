"""Activation functions: sigmoid, relu, leaky_relu, softmax, log_softmax, gelu, silu, softplus, elu.

Each backward is written with differentiable ``xp`` names only, so every activation supports
higher-order gradients. The numerically stable forms (sigmoid through exp(-|x|), softmax and
log_softmax shifted by the maximum, softplus through log1p) never overflow.
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.functions.elementwise import select
from dezero_core.functions.validation import require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked

A = Arg((2, 3))
KINKED = Arg((2, 3), away_from=(0.0,))
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_SCALE = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


def sigmoid_of(xp: Any, x: Any) -> Any:
    """``1 / (1 + exp(-x))`` to the relative precision of x's dtype on both sides, never overflowing.

    With ``e = exp(-|x|)`` (in (0, 1]): ``1 / (1 + e)`` for x >= 0 and ``e / (1 + e)`` below. The
    tanh form ``tanh(x/2)/2 + 1/2`` cancels for negative x (float32 ``sigmoid(-10)`` off by 2e-4,
    and 0 below -17 where the true value is 2e-9), and silu, the softplus gradient, the LSTM/GRU
    gates and ``log(sigmoid(x))`` inherit what this returns.
    """
    e = xp.exp(-xp.abs(x))
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r)


def softmax_of(xp: Any, x: Any, axis: int) -> Any:
    """Softmax over ``axis``, shifted by the maximum so that ``exp`` never overflows."""
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax_of(xp: Any, x: Any, axis: int) -> Any:
    """``log(softmax(x))`` over ``axis`` without forming the softmax (exact for very negative logits)."""
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


class Sigmoid(Function):
    def forward(self, xp, x):
        return sigmoid_of(xp, x)

    def backward(self, xp, xs, y, gy):
        return gy * y * (1 - y)


class ReLU(Function):
    def forward(self, xp, x):
        return xp.maximum(x, 0)

    def backward(self, xp, xs, y, gy):
        return select(xp, y > 0, gy)


class LeakyReLU(Function):
    def __init__(self, slope: float) -> None:
        self.slope = slope

    def forward(self, xp, x):
        return xp.where(x > 0, x, x * self.slope)

    def backward(self, xp, xs, y, gy):
        return xp.where(xs[0] > 0, gy, gy * self.slope)


class Softmax(Function):
    def __init__(self, axis: int = 1) -> None:
        self.axis = axis

    def forward(self, xp, x):
        return softmax_of(xp, x, self.axis)

    def backward(self, xp, xs, y, gy):
        gx = y * gy
        return gx - y * xp.sum(gx, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    def __init__(self, axis: int = 1) -> None:
        self.axis = axis

    def forward(self, xp, x):
        return log_softmax_of(xp, x, self.axis)

    def backward(self, xp, xs, y, gy):
        return gy - xp.exp(y) * xp.sum(gy, axis=self.axis, keepdims=True)


class GELU(Function):
    """``x * Phi(x)``, Phi the standard normal CDF, through the backend's erf."""

    def forward(self, xp, x):
        return x * (0.5 + 0.5 * xp.erf(x * _SQRT1_2))

    def backward(self, xp, xs, y, gy):
        x, = xs
        cdf = 0.5 + 0.5 * xp.erf(x * _SQRT1_2)
        pdf = xp.exp(x * x * -0.5) * _INV_SQRT_2PI
        return gy * (cdf + x * pdf)


class GELUTanh(Function):
    """The tanh approximation ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))``."""

    def forward(self, xp, x):
        return x * (0.5 + 0.5 * xp.tanh(_TANH_SCALE * (x + _TANH_CUBIC * (x * x * x))))

    def backward(self, xp, xs, y, gy):
        x, = xs
        x2 = x * x
        t = xp.tanh(_TANH_SCALE * (x + _TANH_CUBIC * (x2 * x)))
        dt = (1 - t * t) * (_TANH_SCALE * (1 + 3 * _TANH_CUBIC * x2))
        return gy * (0.5 + 0.5 * t + 0.5 * x * dt)


class SiLU(Function):
    def forward(self, xp, x):
        return x * sigmoid_of(xp, x)

    def backward(self, xp, xs, y, gy):
        x, = xs
        s = sigmoid_of(xp, x)
        return gy * (s * (1 + x * (1 - s)))


class Softplus(Function):
    def __init__(self, beta: float) -> None:
        self.beta = beta

    def forward(self, xp, x):
        bx = x * self.beta
        return (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / self.beta

    def backward(self, xp, xs, y, gy):
        return gy * sigmoid_of(xp, xs[0] * self.beta)


class ELU(Function):
    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, xp, x):
        # expm1 of min(x, 0): the branch where() discards never overflows
        return xp.where(x > 0, x, self.alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, xp, xs, y, gy):
        # for x <= 0, d/dx alpha*(exp(x) - 1) = y + alpha
        return xp.where(xs[0] > 0, gy, gy * (y + self.alpha))


@checked((A,), (Arg((2, 3), -6.0, 6.0),), double_grad=True)
def sigmoid(x: Any) -> Variable:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise."""
    require_float("sigmoid", x)
    return Sigmoid()(x)


@checked((KINKED,), double_grad=True)
def relu(x: Any) -> Variable:
    """``max(x, 0)`` elementwise; the gradient at 0 is 0."""
    require_float("relu", x)
    return ReLU()(x)


@checked((KINKED,), (KINKED, 0.01), double_grad=True)
def leaky_relu(x: Any, slope: float = 0.2) -> Variable:
    """``x`` where positive, ``slope * x`` elsewhere (the book's default slope is 0.2)."""
    require_float("leaky_relu", x)
    return LeakyReLU(float(slope))(x)


@checked((A,), (Arg((2, 3, 4)), 2), Sample((Arg((3, 2)),), {"axis": 0}), double_grad=True)
def softmax(x: Any, axis: int = 1) -> Variable:
    """``exp(x) / sum(exp(x))`` over ``axis`` (default 1, the class axis of a batch)."""
    require_float("softmax", x)
    return Softmax(axis)(x)


@checked((A,), (Arg((2, 3, 4)), -1), (Arg((2, 3), -30.0, 30.0),), double_grad=True)
def log_softmax(x: Any, axis: int = 1) -> Variable:
    """``log(softmax(x))`` over ``axis``, computed without forming the softmax (stable)."""
    require_float("log_softmax", x)
    return LogSoftmax(axis)(x)


@checked((Arg((2, 3), -3.0, 3.0),), Sample((Arg((2, 3), -3.0, 3.0),), {"approximate": "tanh"}),
         double_grad=True)
def gelu(x: Any, approximate: str = "none") -> Variable:
    """The Gaussian error linear unit ``x * Phi(x)`` (Phi: the standard normal CDF).

    ``approximate="none"`` computes Phi exactly through erf; ``approximate="tanh"`` uses the tanh
    approximation of Hendrycks & Gimpel (2016) that GPT-2 and BERT were trained with (they differ
    by up to about 5e-4).
    """
    require_float("gelu", x)
    if approximate == "none":
        return GELU()(x)
    if approximate == "tanh":
        return GELUTanh()(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


@checked((Arg((2, 3), -4.0, 4.0),), double_grad=True)
def silu(x: Any) -> Variable:
    """``x * sigmoid(x)`` (also called swish)."""
    require_float("silu", x)
    return SiLU()(x)


@checked((Arg((2, 3), -4.0, 4.0),), (Arg((2, 3), -4.0, 4.0), 2.0), double_grad=True)
def softplus(x: Any, beta: float = 1.0) -> Variable:
    """``log(1 + exp(beta * x)) / beta``, a smooth relu; stable for any x."""
    require_float("softplus", x)
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    return Softplus(float(beta))(x)


@checked((Arg((2, 3), -3.0, 3.0, away_from=(0.0,)),), (Arg((2, 3), -3.0, 3.0, away_from=(0.0,)), 0.5),
         double_grad=True)
def elu(x: Any, alpha: float = 1.0) -> Variable:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    require_float("elu", x)
    return ELU(float(alpha))(x)
