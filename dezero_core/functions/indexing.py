"""Indexing: ``get_item`` (``x[key]``), whose gradient scatter-adds, so repeated indices accumulate."""
from __future__ import annotations

from typing import Any

from dezero_core.functions.discrete import is_symbolic
from dezero_core.functions.validation import is_integral
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


class GetItem(Function):
    def __init__(self, key: Any) -> None:
        self.key = key

    def forward(self, xp, x):
        key = self.key
        if len(key) == 1 and x.ndim > 1 and _is_index_array(xp, key[0]):
            # rows of x picked by an index array (embeddings): the array API spells it take()
            rows = xp.take(x, xp.reshape(key[0], (-1,)), axis=0)
            return xp.reshape(rows, tuple(key[0].shape) + tuple(x.shape[1:]))
        return x[key]

    def backward(self, xp, xs, y, gy):
        if isinstance(gy, Variable):  # create_graph: the scatter itself must be differentiable
            return GetItemGrad(self.key, xs[0].shape)(gy)
        return scatter_add_into_zeros(xp, self.key, xs[0].shape, gy)


class GetItemGrad(Function):
    """The gradient of ``x[key]``: ``gy`` scatter-added into zeros of ``x``'s shape."""

    def __init__(self, key: Any, shape: tuple[int, ...]) -> None:
        self.key = key
        self.shape = shape

    def forward(self, xp, gy):
        return scatter_add_into_zeros(xp, self.key, self.shape, gy)

    def backward(self, xp, xs, y, ggx):
        if isinstance(ggx, Variable):  # create_graph: differentiable again
            return get_item(ggx, self.key)
        return GetItem(self.key).forward(xp, ggx)  # arrays in, an array out (a static graph replays it)


class Take(Function):
    """``x[ids]`` with the index array an input, not an attribute: traced with a symbolic index (ids
    fed at every call), a graph records it as a node of ``(x, ids)``. The ids get no gradient."""

    def forward(self, xp, x, ids):
        return GetItem((ids,)).forward(xp, x)

    def backward(self, xp, xs, y, gy):
        x, ids = xs
        if isinstance(gy, Variable):  # create_graph: the scatter itself must be differentiable
            return GetItemGrad((ids.data if isinstance(ids, Variable) else ids,), x.shape)(gy), None
        return scatter_add_into_zeros(xp, (ids,), x.shape, gy), None


def _is_index_array(xp: Any, k: Any) -> bool:
    return hasattr(k, "dtype") and hasattr(k, "shape") and xp.isdtype(k.dtype, "integral")


def scatter_add_into_zeros(xp: Any, key: Any, shape: tuple[int, ...], gy: Any) -> Any:
    """Zeros of ``shape`` (``gy``'s dtype and device) with ``gy`` added at ``key``: repeated indices
    accumulate (the gradient of an indexing)."""
    gx = xp.zeros(shape, dtype=gy.dtype, device=getattr(gy, "device", None))
    xp.scatter_add(gx, key, gy)
    return gx


@checked(Sample((Arg((3, 4)), 1)), Sample((Arg((3, 4)), (slice(None), slice(1, 3)))),
         Sample((Arg((3, 4)), (Ellipsis, 2))), Sample((Arg((3, 4)), Arg((2, 3), 0, 3, dtype="int64"))),
         Sample((Arg((5,)), Arg((4,), 0, 5, dtype="int64"))), double_grad=True)
def get_item(x: Any, key: Any) -> Variable:
    """``x[key]``; the gradient scatter-adds, so repeated indices accumulate.

    An index array that is a symbol (an input of a graph being traced or defined) is an input of the
    node (:class:`Take`); any other key is the node's attribute.
    """
    index = key[0] if type(key) is tuple and len(key) == 1 else key
    if is_symbolic(index):
        if not is_integral(index):
            raise TypeError(f"get_item: an index given as a symbol must hold integers, got {index.dtype}; "
                            f"cast it with astype to int64")
        return Take()(x, index)
    key = tuple(k.data if isinstance(k, Variable) else k for k in (key if isinstance(key, tuple) else (key,)))
    if not any(k is Ellipsis or hasattr(k, "shape") for k in key):
        # numpy reads x[1] as x[1, ...]; the array API asks for the ellipsis: spell it out
        # (not beside index arrays, which the array API allows only with integers)
        key += (Ellipsis,)
    return GetItem(key)(x)
