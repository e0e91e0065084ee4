"""Converters of the losses, in inference form: the loss value of a batch (no gradient)."""
from __future__ import annotations

import numpy as np

from dezero_onnx.builder import Node, OnnxBuilder
from dezero_onnx.errors import ExportError


def mean_squared_error(b: OnnxBuilder, node: Node) -> str:
    """``mean((x0 - x1)^2)`` over every element."""
    diff = b.op("Sub", *node.inputs)
    return b.reduce("ReduceMean", b.op("Mul", diff, diff), None, keepdims=False)


def softmax_cross_entropy(b: OnnxBuilder, node: Node) -> str:
    """``SoftmaxCrossEntropyLoss`` (mean over the kept labels, ``ignore_index`` as ONNX's); label
    smoothing adds ``eps/C`` times the mean over samples of ``-sum_c log_softmax``."""
    x, t = node.inputs
    fn = node.fn
    attrs = {"reduction": "mean"}
    if fn.ignore_index is not None:
        attrs["ignore_index"] = int(fn.ignore_index)
    labels = t if t.dtype == np.int64 else b.cast(t, np.int64)
    loss = b.op("SoftmaxCrossEntropyLoss", x, labels, **attrs)
    eps = float(fn.label_smoothing)
    if not eps:
        return loss
    if fn.ignore_index is not None:
        raise ExportError("softmax_cross_entropy with both label_smoothing and ignore_index has no ONNX "
                          "form here; export the model's scores and compute the loss outside")
    n_classes = x.shape[1]
    per_sample = b.reduce("ReduceSum", b.op("LogSoftmax", x, axis=1), [1], keepdims=False)
    smooth = b.reduce("ReduceMean", per_sample, None, keepdims=False)
    return b.op("Sub", b.op("Mul", loss, b.scalar(1 - eps, x)), b.op("Mul", smooth, b.scalar(eps / n_classes, x)))


def sigmoid_cross_entropy(b: OnnxBuilder, node: Node) -> str:
    """``mean(max(x, 0) - x t + log(1 + exp(-|x|)))``, the eager function's stable form."""
    x, t = node.inputs
    t = b.cast(t, x.dtype)
    soft = b.op("Log", b.op("Add", b.scalar(1.0, x), b.op("Exp", b.op("Neg", b.op("Abs", x)))))
    loss = b.op("Add", b.op("Sub", b.op("Relu", x), b.op("Mul", x, t)), soft)
    return b.reduce("ReduceMean", loss, None, keepdims=False)


def binary_cross_entropy(b: OnnxBuilder, node: Node) -> str:
    """``-mean(t log p + (1 - t) log(1 - p))``, each log clamped at -100 as the eager function."""
    p, t = node.inputs
    t = b.cast(t, p.dtype)
    one, floor = b.scalar(1.0, p), b.scalar(-100.0, p)
    log_p = b.op("Clip", b.op("Log", p), floor)
    log_q = b.op("Clip", b.op("Log", b.op("Sub", one, p)), floor)
    total = b.op("Add", b.op("Mul", t, log_p), b.op("Mul", b.op("Sub", one, t), log_q))
    return b.op("Neg", b.reduce("ReduceMean", total, None, keepdims=False))
