"""Converters of the reductions: sum, mean, max, min, var, logsumexp."""
from __future__ import annotations

from typing import Any

from dezero_onnx.builder import Node, OnnxBuilder
from dezero_onnx.errors import ExportError


def _axes(axis: Any, ndim: int) -> list[int] | None:
    """The function's ``axis`` (None, an int or a sequence) as a list, None meaning every axis."""
    if axis is None:
        return None
    return [int(a) % ndim for a in ((axis,) if isinstance(axis, int) else axis)]


def _reduction(op_type: str):
    def convert(b: OnnxBuilder, node: Node) -> str:
        x, fn = node.inputs[0], node.fn
        return b.reduce(op_type, x, _axes(fn.axis, x.ndim), fn.keepdims)

    convert.__doc__ = f"``{op_type}`` over the function's axes."
    return convert


sum_, mean, max_, min_, logsumexp = (
    _reduction(t) for t in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceLogSumExp"))


def var(b: OnnxBuilder, node: Node) -> str:
    """``mean((x - mean(x))^2) * n / (n - correction)``, the mean taken over the reduced axes."""
    x, fn = node.inputs[0], node.fn
    axes = _axes(fn.axis, x.ndim)
    centered = b.op("Sub", x, b.reduce("ReduceMean", x, axes, keepdims=True))
    y = b.reduce("ReduceMean", b.op("Mul", centered, centered), axes, fn.keepdims)
    if not fn.correction:
        return y
    if any(x.varies(a) for a in (range(x.ndim) if axes is None else axes)):
        raise ExportError(f"var with correction={fn.correction} over the dynamic batch axis divides by a count "
                          f"that changes with the batch; export with dynamic_axes={{}}")
    n = 1
    for a in range(x.ndim) if axes is None else axes:
        n *= x.shape[a]
    return b.op("Mul", y, b.scalar(n / (n - fn.correction) if n > fn.correction else float("nan"), x))
