"""embed_id: rows of a table picked by integer ids (the gradient scatter-adds, ids may repeat)."""
from __future__ import annotations

import math
from typing import Any

from dezero_core.functions.indexing import scatter_add_into_zeros
from dezero_core.functions.validation import data_of, is_integral, require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked


class EmbedID(Function):
    """``W[ids]``, with the ids an input (a graph input when traced: token ids fed at every call).

    The ids' range is checked as it runs (one reduction), so a replayed graph refuses bad ids with
    the same error as eager mode. The ids get no gradient; ``W``'s adds up every occurrence of an id.
    """

    def forward(self, xp, ids, W):
        if math.prod(ids.shape) and bool(xp.logical_or(xp.min(ids) < 0, xp.max(ids) >= W.shape[0])):
            low, high = int(xp.min(ids)), int(xp.max(ids))
            error = ValueError(f"embed_id: ids must lie in [0, {W.shape[0] - 1}] for W of shape "
                               f"{tuple(W.shape)}, got ids from {low} to {high}")
            error._dezero_annotated = True  # type: ignore[attr-defined]  # complete: no op prefix needed
            raise error
        rows = xp.take(W, xp.reshape(ids, (-1,)), axis=0)
        return xp.reshape(rows, tuple(ids.shape) + tuple(W.shape[1:]))

    def backward(self, xp, xs, y, gy):
        ids, W = xs
        if isinstance(gy, Variable):  # create_graph: the scatter itself must be differentiable
            return None, EmbedIDGrad(tuple(W.shape))(ids, gy)
        return None, scatter_add_into_zeros(xp, (ids,), W.shape, gy)


class EmbedIDGrad(Function):
    """The gradient of ``W`` in ``embed_id(ids, W)``: ``gy`` scatter-added into zeros of ``shape``."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, xp, ids, gy):
        return scatter_add_into_zeros(xp, (ids,), self.shape, gy)

    def backward(self, xp, xs, y, ggW):
        return None, EmbedID()(xs[0], ggW)


@checked((Arg((2, 3), 0, 5, dtype="int64"), Arg((5, 4))), (Arg((6,), 0, 3, dtype="int64"), Arg((3, 2))),
         double_grad=True)
def embed_id(x: Any, W: Any) -> Variable:
    """``W[x]``: for integer ids ``x`` of any shape, the rows of ``W`` (vocabulary, dim), shape ``x.shape + (dim,)``.

    The gradient of ``W`` adds up the gradients of every occurrence of an id. ``x`` may be a traced
    input or a symbol: the ids are read (their range checked) only when the lookup runs.
    """
    ids = data_of(x)
    if not hasattr(ids, "dtype") or not is_integral(ids):
        raise TypeError(f"embed_id: ids x must be an integer array, got {getattr(ids, 'dtype', type(ids).__name__)}; "
                        f"cast with astype to int64")
    require_float("embed_id", W, "W")
    if W.ndim != 2:
        raise ValueError(f"embed_id: W must have shape (vocabulary, dim), got {tuple(W.shape)}")
    return EmbedID()(x, W)


__all__ = ["embed_id"]
