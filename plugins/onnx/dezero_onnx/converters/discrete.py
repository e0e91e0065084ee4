"""Converters of the functions with integer or boolean results and of the integer lookups: argmax,
argmin, one_hot, the comparisons, accuracy, and embed_id (``Gather`` with the ids as an input).

ONNX compares two tensors of one type only, so an operand of another dtype (or a Python scalar) is
brought to the dtype numpy's promotion gives the pair, as the eager function compares them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero_onnx.builder import Node, OnnxBuilder, Value
from dezero_onnx.converters.shape import gather_rows
from dezero_onnx.errors import ExportError


def _argreduce(op_type: str, b: OnnxBuilder, node: Node) -> str:
    """``ArgMax``/``ArgMin`` (first index of ties, as numpy); axis None: over the flattened array."""
    x, fn = node.inputs[0], node.fn
    if fn.axis is not None:
        return b.op(op_type, x, axis=int(fn.axis), keepdims=int(bool(fn.keepdims)))
    flat = b.op(op_type, b.op("Reshape", x, b.ints([-1])), axis=0, keepdims=0)
    return b.op("Reshape", flat, b.ints([1] * x.ndim)) if fn.keepdims else flat


def argmax(b: OnnxBuilder, node: Node) -> str:
    """``ArgMax`` (int64 indices)."""
    return _argreduce("ArgMax", b, node)


def argmin(b: OnnxBuilder, node: Node) -> str:
    """``ArgMin`` (int64 indices)."""
    return _argreduce("ArgMin", b, node)


def one_hot(b: OnnxBuilder, node: Node) -> str:
    """``Cast(Equal(Unsqueeze(t, -1), arange(C)))``: every label compared with every class."""
    t, out = node.inputs[0], node.outputs[0]
    classes = b.const(np.arange(int(node.fn.num_classes), dtype=t.dtype))
    return b.cast(b.op("Equal", b.unsqueeze(t, [t.ndim]), classes), out.dtype)


#: a comparison's array-API name -> (ONNX op, whether the result is negated)
_COMPARISONS = {
    "equal": ("Equal", False), "not_equal": ("Equal", True), "less": ("Less", False),
    "less_equal": ("LessOrEqual", False), "greater": ("Greater", False), "greater_equal": ("GreaterOrEqual", False),
}


def _compare(b: OnnxBuilder, op: str, left: "Value | Any", right: "Value | Any") -> str:
    """``left <op> right`` for values or Python scalars, in their promoted dtype."""
    op_type, negate = _COMPARISONS[op]
    dtype = np.result_type(*(v.dtype if isinstance(v, Value) else v for v in (left, right)))
    names = [(v if v.dtype == dtype else b.cast(v, dtype)) if isinstance(v, Value) else b.const(v, dtype)
             for v in (left, right)]
    result = b.op(op_type, *names)
    return b.op("Not", result) if negate else result


def comparison(b: OnnxBuilder, node: Node) -> str:
    """Any :class:`~dezero_core.functions.discrete.Comparison` (``fn.op``), a scalar operand as a
    constant on its side."""
    fn = node.fn
    if len(node.inputs) == 2:
        return _compare(b, fn.op, *node.inputs)
    x = node.inputs[0]
    return _compare(b, fn.op, fn.scalar, x) if fn.scalar_first else _compare(b, fn.op, x, fn.scalar)


def compare_symbols(b: OnnxBuilder, node: Node) -> str:
    """``Compare``: a comparison node of graphs saved before symbols' operators called the registered
    comparisons (``x > 0`` is a ``Greater`` node now); kept so that such loaded graphs still export."""
    if len(node.inputs) != 2 or node.fn.op not in _COMPARISONS:
        raise ExportError(f"Compare({node.fn.op!r}) of {len(node.inputs)} inputs has no ONNX form")
    return _compare(b, node.fn.op, *node.inputs)


def accuracy(b: OnnxBuilder, node: Node) -> str:
    """``mean(argmax(y, 1) == t)`` over the kept labels: ``sum(correct * kept) / max(sum(kept), 1)``
    when ``ignore_index`` is set (float arithmetic, so a loaded file needs no boolean operators)."""
    y, t = node.inputs
    fn = node.fn
    labels = t if t.dtype == np.int64 else b.cast(t, np.int64)
    correct = b.cast(b.op("Equal", b.op("ArgMax", y, axis=1, keepdims=0), labels), y.dtype)
    if fn.ignore_index is None:
        return b.reduce("ReduceMean", correct, None, keepdims=False)
    dropped = b.cast(b.op("Equal", labels, b.const(int(fn.ignore_index), np.int64)), y.dtype)
    kept = b.op("Sub", b.scalar(1.0, y), dropped)
    hits = b.reduce("ReduceSum", b.op("Mul", correct, kept), None, keepdims=False)
    count = b.op("Max", b.reduce("ReduceSum", kept, None, keepdims=False), b.scalar(1.0, y))
    return b.op("Div", hits, count)


def embed_id(b: OnnxBuilder, node: Node) -> str:
    """``Gather(W, ids, axis=0)``: the ids stay an input of the file (int64 token ids)."""
    ids, W = node.inputs
    return gather_rows(b, W, ids)
