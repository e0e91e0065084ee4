"""embed_id: rows of a table picked by integer ids (the gradient scatter-adds, ids may repeat)."""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.functions.indexing import get_item
from dezero_core.functions.validation import data_of, is_integral, require_float
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked


@checked((Arg((2, 3), 0, 5, dtype="int64"), Arg((5, 4))), (Arg((6,), 0, 3, dtype="int64"), Arg((3, 2))),
         double_grad=True)
def embed_id(x: Any, W: Any) -> Variable:
    """``W[x]``: for integer ids ``x`` of any shape, the rows of ``W`` (vocabulary, dim), shape ``x.shape + (dim,)``.

    The gradient of ``W`` adds up the gradients of every occurrence of an id.
    """
    ids = data_of(x)
    if not hasattr(ids, "dtype") or not is_integral(ids):
        raise TypeError(f"embed_id: ids x must be an integer array, got {getattr(ids, 'dtype', type(ids).__name__)}; "
                        f"cast with astype to int64")
    require_float("embed_id", W, "W")
    if W.ndim != 2:
        raise ValueError(f"embed_id: W must have shape (vocabulary, dim), got {tuple(W.shape)}")
    xp = backend_of(ids).xp
    if math.prod(ids.shape) and bool(xp.logical_or(xp.min(ids) < 0, xp.max(ids) >= W.shape[0])):
        low, high = int(xp.min(ids)), int(xp.max(ids))
        raise ValueError(f"embed_id: ids must lie in [0, {W.shape[0] - 1}] for W of shape {tuple(W.shape)}, "
                         f"got ids from {low} to {high}")
    return get_item(W, ids)


__all__ = ["embed_id"]
