"""Converters of the elementwise functions: arithmetic, math and activations.

Each takes the builder and the :class:`~dezero_onnx.builder.Node` (the dezero ``Function`` and its
input and output values) and returns the name of the ONNX value computing the output.
"""
from __future__ import annotations

import math
from typing import Callable

from dezero_onnx.builder import Node, OnnxBuilder


def _unary(op_type: str) -> Callable[[OnnxBuilder, Node], str]:
    def convert(b: OnnxBuilder, node: Node) -> str:
        return b.op(op_type, node.inputs[0])

    convert.__doc__ = f"One ONNX ``{op_type}`` node."
    return convert


def _binary(op_type: str) -> Callable[[OnnxBuilder, Node], str]:
    def convert(b: OnnxBuilder, node: Node) -> str:
        return b.op(op_type, *node.inputs)

    convert.__doc__ = f"One ONNX ``{op_type}`` node (numpy broadcasting, as ONNX's)."
    return convert


def _with_scalar(op_type: str, scalar_first: bool = False) -> Callable[[OnnxBuilder, Node], str]:
    def convert(b: OnnxBuilder, node: Node) -> str:
        x = node.inputs[0]
        c = b.scalar(node.fn.c, x)  # in x's dtype, as the eager function computes
        return b.op(op_type, c, x) if scalar_first else b.op(op_type, x, c)

    convert.__doc__ = f"``{op_type}`` with the Python scalar ``fn.c`` as a constant of x's dtype."
    return convert


add, sub, mul, div, power, maximum, minimum = (
    _binary(t) for t in ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"))
neg, sin, cos, tanh, exp, log, sqrt, abs_, erf, sigmoid, relu = (
    _unary(t) for t in ("Neg", "Sin", "Cos", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Erf", "Sigmoid", "Relu"))
add_scalar, mul_scalar, div_scalar, pow_scalar = (_with_scalar(t) for t in ("Add", "Mul", "Div", "Pow"))
rsub_scalar, rdiv_scalar, rpow_scalar = (_with_scalar(t, scalar_first=True) for t in ("Sub", "Div", "Pow"))


def clip(b: OnnxBuilder, node: Node) -> str:
    """``Clip`` with its bounds as optional inputs of x's dtype (None: that side open)."""
    x, fn = node.inputs[0], node.fn
    low = None if fn.low is None else b.scalar(fn.low, x)
    high = None if fn.high is None else b.scalar(fn.high, x)
    return b.op("Clip", x, low, high)


def where(b: OnnxBuilder, node: Node) -> str:
    """``Where``: the function's inputs are ``(x1, x2, condition)``, ONNX's ``(condition, x1, x2)``."""
    x1, x2, condition = node.inputs
    return b.op("Where", condition, x1, x2)


def leaky_relu(b: OnnxBuilder, node: Node) -> str:
    """``LeakyRelu`` with the slope as alpha."""
    return b.op("LeakyRelu", node.inputs[0], alpha=float(node.fn.slope))


def elu(b: OnnxBuilder, node: Node) -> str:
    """``Elu`` with the function's alpha."""
    return b.op("Elu", node.inputs[0], alpha=float(node.fn.alpha))


def softmax(b: OnnxBuilder, node: Node) -> str:
    """``Softmax`` over the function's axis (opset 13 semantics: one axis, not a flattened tail)."""
    return b.op("Softmax", node.inputs[0], axis=int(node.fn.axis))


def log_softmax(b: OnnxBuilder, node: Node) -> str:
    """``LogSoftmax`` over the function's axis."""
    return b.op("LogSoftmax", node.inputs[0], axis=int(node.fn.axis))


def gelu(b: OnnxBuilder, node: Node) -> str:
    """``x * (1/2 + erf(x / sqrt 2) / 2)``, as the eager function (ONNX's Gelu is opset 20)."""
    x = node.inputs[0]
    half = b.scalar(0.5, x)
    cdf = b.op("Add", half, b.op("Mul", half, b.op("Erf", b.op("Mul", x, b.scalar(1 / math.sqrt(2), x)))))
    return b.op("Mul", x, cdf)


def gelu_tanh(b: OnnxBuilder, node: Node) -> str:
    """The tanh approximation ``x * (1/2 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)) / 2)``."""
    x = node.inputs[0]
    half = b.scalar(0.5, x)
    cube = b.op("Mul", b.op("Mul", x, x), x)
    inner = b.op("Mul", b.scalar(math.sqrt(2 / math.pi), x), b.op("Add", x, b.op("Mul", b.scalar(0.044715, x), cube)))
    return b.op("Mul", x, b.op("Add", half, b.op("Mul", half, b.op("Tanh", inner))))


def silu(b: OnnxBuilder, node: Node) -> str:
    """``x * sigmoid(x)``."""
    x = node.inputs[0]
    return b.op("Mul", x, b.op("Sigmoid", x))


def softplus(b: OnnxBuilder, node: Node) -> str:
    """``softplus(beta * x) / beta`` through ONNX's (stable) Softplus."""
    x, beta = node.inputs[0], float(node.fn.beta)
    if beta == 1.0:
        return b.op("Softplus", x)
    return b.op("Div", b.op("Softplus", b.op("Mul", x, b.scalar(beta, x))), b.scalar(beta, x))
