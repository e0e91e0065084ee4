"""Metrics: accuracy. Not differentiable: a :class:`~dezero_core.functions.discrete.Discrete`
Function, so its result is a constant in eager mode and a node of a traced or symbolic graph."""
from __future__ import annotations

import math
from typing import Any

from dezero_core.functions.discrete import Discrete
from dezero_core.functions.validation import check_class_layout
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


class Accuracy(Discrete):
    """The fraction of samples whose highest score is their label (``ignore_index`` left out)."""

    def __init__(self, ignore_index: int | None) -> None:
        self.ignore_index = ignore_index

    def forward(self, xp, y, t):
        correct = xp.argmax(y, axis=1) == t
        if self.ignore_index is None:
            n = math.prod(t.shape)
        else:
            kept = t != self.ignore_index
            correct = xp.logical_and(correct, kept)
            n = xp.maximum(xp.sum(xp.astype(kept, y.dtype)), 1)
        return xp.sum(xp.astype(correct, y.dtype)) / n


@checked((Arg((6, 4)), Arg((6,), 0, 4, dtype="int64")),
         Sample((Arg((8, 3)), Arg((8,), -1, 3, dtype="int64")), {"ignore_index": -1}), grad=False)
def accuracy(y: Any, t: Any, ignore_index: int | None = None) -> Variable:
    """The fraction of samples whose highest score ``argmax(y, axis=1)`` is the label ``t``.

    ``y``: scores ``(N, C)`` or ``(N, C, d1, ...)``; ``t``: labels ``(N,)`` or ``(N, d1, ...)``.
    Samples labelled ``ignore_index`` are left out. Returns a 0-d constant Variable in ``y``'s dtype.
    """
    check_class_layout("accuracy", y, t)
    return Accuracy(ignore_index)(y, t)
