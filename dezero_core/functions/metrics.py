"""Metrics: accuracy. Not differentiable; the results are constant Variables."""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.functions.validation import check_class_layout, data_of
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


@checked((Arg((6, 4)), Arg((6,), 0, 4, dtype="int64")),
         Sample((Arg((8, 3)), Arg((8,), -1, 3, dtype="int64")), {"ignore_index": -1}), grad=False)
def accuracy(y: Any, t: Any, ignore_index: int | None = None) -> Variable:
    """The fraction of samples whose highest score ``argmax(y, axis=1)`` is the label ``t``.

    ``y``: scores ``(N, C)`` or ``(N, C, d1, ...)``; ``t``: labels ``(N,)`` or ``(N, d1, ...)``.
    Samples labelled ``ignore_index`` are left out. Returns a 0-d constant Variable in ``y``'s dtype.
    """
    check_class_layout("accuracy", y, t)
    scores, labels = data_of(y), data_of(t)
    xp = backend_of(scores).xp
    correct = xp.argmax(scores, axis=1) == labels
    if ignore_index is None:
        n = math.prod(labels.shape)
    else:
        kept = labels != ignore_index
        correct = xp.logical_and(correct, kept)
        n = xp.maximum(xp.sum(xp.astype(kept, scores.dtype)), 1)
    return Variable(xp.sum(xp.astype(correct, scores.dtype)) / n, requires_grad=False)
