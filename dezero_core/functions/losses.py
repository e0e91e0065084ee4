"""Loss functions: mean_squared_error, softmax_cross_entropy (cross_entropy), sigmoid_cross_entropy,
binary_cross_entropy.

Every loss averages over all its elements and returns a 0-d Variable of the input's dtype: a float32
model gets a float32 loss and float32 gradients. Labels are checked (integers, in range) before
they are used; the check reads two numbers back (their minimum and maximum).
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.functions.activations import log_softmax_of, sigmoid_of, softmax_of
from dezero_core.functions.validation import (
    check_class_layout, check_labels, data_of, is_integral, require_float, require_same_shape,
)
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


class MeanSquaredError(Function):
    def forward(self, xp, x0, x1):
        diff = x0 - x1
        return xp.sum(diff * diff) / math.prod(diff.shape)

    def backward(self, xp, xs, y, gy):
        x0, x1 = xs
        diff = x0 - x1
        gx0 = diff * (gy * (2 / math.prod(diff.shape)))
        return gx0 if self.needs_grad[0] else None, -gx0 if self.needs_grad[1] else None


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of ``softmax(x)`` over axis 1 against integer labels ``t``.

    The target distribution puts ``1 - label_smoothing + label_smoothing / C`` on the label and
    ``label_smoothing / C`` elsewhere; samples whose label is ``ignore_index`` count for nothing, and
    the mean is over the others.
    """

    def __init__(self, ignore_index: int | None = None, label_smoothing: float = 0.0) -> None:
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def _weights(self, xp: Any, t: Any, dtype: Any) -> Any:
        """What each sample's loss is multiplied by: ``1/N``, a Python float, when nothing is
        ignored; else an array shaped like ``t`` with ``1/n_kept`` for kept samples and 0 for the others.
        """
        if self.ignore_index is None:
            return 1.0 / max(math.prod(t.shape), 1)  # an empty batch has loss 0
        kept = xp.astype(t != self.ignore_index, dtype)
        # max(n, 1): when every label is ignored, the loss and the gradients are 0, not nan
        return kept / xp.maximum(xp.sum(kept), 1)

    def target(self, xp: Any, t: Any, n_classes: int, dtype: Any) -> Any:
        """The target distribution ``(N, C, ...)`` in ``dtype``: one-hot on the label, smoothed."""
        classes = xp.reshape(xp.arange(n_classes, dtype=t.dtype), (1, n_classes) + (1,) * (t.ndim - 1))
        target = xp.astype(_with_class_axis(xp, t) == classes, dtype)
        if self.label_smoothing:
            eps = self.label_smoothing
            target = target * (1 - eps) + eps / n_classes
        return target

    def forward(self, xp, x, t):
        weight = self._weights(xp, t, x.dtype)
        if not self.label_smoothing and self.ignore_index is None and hasattr(xp, "take_along_axis"):
            return self._forward_picking(xp, x, t, weight)
        # sum(target * log p) picks the label's log-probability (plus the smoothing terms); an ignored
        # label matches no class, and its weight is 0 anyway
        picked = self.target(xp, t, x.shape[1], x.dtype) * log_softmax_of(xp, x, 1)
        if isinstance(weight, float):
            return xp.sum(picked) * -weight
        return -xp.sum(picked * _with_class_axis(xp, weight))

    def _forward_picking(self, xp: Any, x: Any, t: Any, weight: float) -> Any:
        """The common case (no smoothing, nothing ignored): ``mean(logsumexp(x) - x[label])``.

        The label's score is picked, not found through a one-hot product, and the softmax is kept
        for an array-mode backward, which then only subtracts the one-hot target from it.
        """
        shifted = x - xp.max(x, axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = xp.sum(e, axis=1, keepdims=True)
        self._softmax = e / total
        picked = xp.take_along_axis(shifted, _with_class_axis(xp, t), axis=1)
        return (xp.sum(xp.log(total)) - xp.sum(picked)) * weight

    def backward(self, xp, xs, y, gy):
        x, t = xs
        raw = xp.backend.ops  # the target is a constant: build it on arrays even under create_graph
        t = data_of(t)
        weight = self._weights(raw, t, x.dtype)
        scale = gy * (weight if isinstance(weight, float) else _with_class_axis(raw, weight))
        softmax = getattr(self, "_softmax", None) if xp is raw else None
        if softmax is None:  # under create_graph: recomputed from x, differentiably
            softmax = softmax_of(xp, x, 1)
        return (softmax - self.target(raw, t, x.shape[1], x.dtype)) * scale, None


def _with_class_axis(xp: Any, a: Any) -> Any:
    """``a`` of shape ``(N, ...)`` as ``(N, 1, ...)``, to broadcast against scores ``(N, C, ...)``."""
    return xp.reshape(a, (a.shape[0], 1) + tuple(a.shape[1:]))


class SigmoidCrossEntropy(Function):
    """Binary cross-entropy of ``sigmoid(x)`` against targets ``t`` in [0, 1], from the logits."""

    def forward(self, xp, x, t):
        t = xp.astype(t, x.dtype)
        # -(t log p + (1 - t) log(1 - p)) = max(x, 0) - x t + log(1 + exp(-|x|)), for any x
        loss = xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))
        return xp.sum(loss) / math.prod(loss.shape)

    def backward(self, xp, xs, y, gy):
        x, t = xs
        t = xp.backend.ops.astype(data_of(t), x.dtype)
        return (sigmoid_of(xp, x) - t) * (gy / math.prod(t.shape)), None


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities ``p`` against targets ``t``; each log is clamped at -100."""

    def forward(self, xp, p, t):
        t = xp.astype(t, p.dtype)
        log_p = xp.clip(xp.log(p), -100.0, None)
        log_q = xp.clip(xp.log1p(-p), -100.0, None)
        return -xp.sum(t * log_p + (1 - t) * log_q) / math.prod(p.shape)

    def backward(self, xp, xs, y, gy):
        p, t = xs
        t = xp.backend.ops.astype(data_of(t), p.dtype)
        # (p - t) / (p (1 - p)), its denominator kept from 0 as the clamped logs keep the loss finite
        return (p - t) / xp.clip(p * (1 - p), 1e-12, None) * (gy / math.prod(t.shape)), None


def _check_binary_targets(fn: str, x: Any, t: Any) -> None:
    require_same_shape(fn, x, t, ("x", "t"))
    data = data_of(t)
    if is_integral(data):
        check_labels(fn, data, 2)
        return
    xp = backend_of(data).xp
    if not bool(xp.all(xp.logical_and(data >= 0, data <= 1))):
        raise ValueError(f"{fn}: targets t must lie in [0, 1], got values from {float(xp.min(data))} "
                         f"to {float(xp.max(data))}")


@checked((Arg((4, 3)), Arg((4, 3))), (Arg((5, 1)), Arg((5, 1))), double_grad=True)
def mean_squared_error(x0: Any, x1: Any) -> Variable:
    """``mean((x0 - x1)^2)`` over every element; ``x0`` and ``x1`` must have the same shape.

    The book divides by ``len(x0)`` (the batch size) instead; the two agree for the book's
    ``(N, 1)`` regression outputs.
    """
    require_float("mean_squared_error", x0, "x0")
    require_float("mean_squared_error", x1, "x1")
    require_same_shape("mean_squared_error", x0, x1)
    return MeanSquaredError()(x0, x1)


_LABELS = Arg((4,), 0, 5, dtype="int64")


@checked((Arg((4, 5)), _LABELS),
         Sample((Arg((8, 5)), Arg((8,), -1, 5, dtype="int64")), {"ignore_index": -1}),
         Sample((Arg((4, 5)), _LABELS), {"label_smoothing": 0.1}),
         Sample((Arg((2, 5, 3)), Arg((2, 3), 0, 5, dtype="int64"))),
         double_grad=True)
def softmax_cross_entropy(x: Any, t: Any, ignore_index: int | None = None,
                          label_smoothing: float = 0.0) -> Variable:
    """Mean cross-entropy between ``softmax(x)`` over axis 1 and integer labels ``t``.

    ``x``: scores (logits) of shape ``(N, C)`` or ``(N, C, d1, ...)``; ``t``: class indices of shape
    ``(N,)`` or ``(N, d1, ...)``. Samples labelled ``ignore_index`` are left out of the loss and the
    mean (PyTorch's default is -100; here nothing is ignored unless asked). ``label_smoothing``
    mixes the one-hot target with the uniform distribution. The loss and the gradient are computed
    in ``x``'s dtype, without a one-hot matrix in the forward pass.
    """
    fn = "softmax_cross_entropy"
    require_float(fn, x)
    check_class_layout(fn, x, t)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must lie in [0, 1], got {label_smoothing}")
    check_labels(fn, t, x.shape[1], ignore_index)
    return SoftmaxCrossEntropy(ignore_index, float(label_smoothing))(x, t)


@checked((Arg((4, 5)), _LABELS), Sample((Arg((8, 5)), Arg((8,), -1, 5, dtype="int64")), {"ignore_index": -1}),
         double_grad=True)
def cross_entropy(x: Any, t: Any, ignore_index: int | None = None, label_smoothing: float = 0.0) -> Variable:
    """PyTorch's name for :func:`softmax_cross_entropy` (scores, not probabilities, go in)."""
    return softmax_cross_entropy(x, t, ignore_index, label_smoothing)


@checked((Arg((4, 3), -3.0, 3.0), Arg((4, 3), 0, 2, dtype="int64")),
         (Arg((5,), -3.0, 3.0), Arg((5,), 0.0, 1.0, grad=False)), double_grad=True)
def sigmoid_cross_entropy(x: Any, t: Any) -> Variable:
    """Mean binary cross-entropy between ``sigmoid(x)`` and targets ``t`` (0/1 labels or values in [0, 1]).

    Takes the scores (logits) ``x``, which is stable for any ``x``; ``t`` has ``x``'s shape. The book
    divides by the batch size; this divides by the number of elements (the same for ``(N,)``).
    """
    require_float("sigmoid_cross_entropy", x)
    _check_binary_targets("sigmoid_cross_entropy", x, t)
    return SigmoidCrossEntropy()(x, t)


@checked((Arg((4, 3), 0.05, 0.95), Arg((4, 3), 0, 2, dtype="int64")),
         (Arg((5,), 0.05, 0.95), Arg((5,), 0.0, 1.0, grad=False)), double_grad=True)
def binary_cross_entropy(p: Any, t: Any) -> Variable:
    """Mean binary cross-entropy between probabilities ``p`` (in [0, 1]) and targets ``t``.

    Each log is clamped at -100 (as PyTorch), so ``p`` of exactly 0 or 1 gives a large finite loss;
    prefer :func:`sigmoid_cross_entropy` on the scores, which never needs that.
    """
    require_float("binary_cross_entropy", p, "p")
    _check_binary_targets("binary_cross_entropy", p, t)
    return BinaryCrossEntropy()(p, t)
