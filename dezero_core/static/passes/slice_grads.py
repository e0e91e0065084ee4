"""Gradients of slices added in place into one array: the pass ``accumulate_slice_grads``.

The gradient of ``x[key]`` is zeros of ``x``'s shape with the incoming gradient scatter-added at
``key`` (GetItem's backward). A value sliced several times (an LSTM's four gates, cut from one
matrix of pre-activations) gets the sum of those scatters: an array of zeros and a scatter per
slice, and an ``Add`` per contribution. For a basic key (integers, slices, ``...``, ``None``) no
element is selected twice, so

- each GetItem backward node with a basic key becomes a :class:`SliceGrad` call: zeros, then
  ``gx[key] += gy`` (a slice addition, ~4x faster than the general scatter on small arrays);
- an ``Add`` of a :class:`SliceGrad`'s gradient and another gradient made here (a :class:`SliceGrad`
  or a :class:`SliceAccumulate`), both read by nothing else, becomes a :class:`SliceAccumulate`:
  the slice added in place into the other array, which is fresh and dead after the ``Add``.

The values are those of the unfused nodes: every element of the eager sum is a ``+0`` from the
zeros plus the slices' gradients in the same order, and ``a + (0 + g) == a + g`` for an ``a`` that
is a sum started from ``+0`` (never ``-0``).
"""
from __future__ import annotations

from typing import Any

from dezero_core.functions.arithmetic import Add
from dezero_core.functions.indexing import GetItem
from dezero_core.graph.function import Function
from dezero_core.static.ir import Graph, Node, Value


class SliceGrad(Function):
    """The gradient of ``x[key]`` for a basic ``key``: zeros of ``shape`` with ``gy`` added at ``key``."""

    def __init__(self, key: tuple, shape: tuple[int, ...]) -> None:
        self.key = key
        self.shape = shape

    def forward(self, xp, gy):
        gx = xp.zeros(self.shape, dtype=gy.dtype, device=getattr(gy, "device", None))
        gx[self.key] += gy
        return gx

    def backward(self, xp, xs, y, gy):
        raise NotImplementedError("SliceGrad is a gradient node of a compiled graph: it has no backward")


class SliceAccumulate(Function):
    """``acc[key] += gy``, in place; returns ``acc`` (a gradient being summed, read by nothing else)."""

    def __init__(self, key: tuple) -> None:
        self.key = key

    def forward(self, xp, acc, gy):
        acc[self.key] += gy
        return acc

    def backward(self, xp, xs, y, gy):
        raise NotImplementedError("SliceAccumulate is a gradient node of a compiled graph: it has no backward")


def is_basic_key(key: Any) -> bool:
    """Whether ``key`` (a GetItem key: a tuple) selects each element at most once: only integers,
    slices of integers, ``...`` and ``None``; never an index array (which may repeat an index)."""
    def basic(k: Any) -> bool:
        if k is Ellipsis or k is None:
            return True
        if type(k) is int:
            return True
        return type(k) is slice and all(p is None or type(p) is int for p in (k.start, k.stop, k.step))
    return isinstance(key, tuple) and all(basic(k) for k in key)


def accumulate_slice_grads(graph: Graph) -> Graph:
    """GetItem backward nodes of basic keys as :class:`SliceGrad`, and the ``Add`` of two such
    gradients as a :class:`SliceAccumulate` into one of them (see the module docstring)."""
    made: dict[int, Node] = {}  # value id -> the SliceGrad/SliceAccumulate node that made its array
    for i, node in enumerate(graph.nodes):
        grad = _slice_grad(node)
        if grad is not None:
            graph.nodes[i] = grad
            made[grad.outputs[0].id] = grad
    readers = graph.users()
    outputs = {v.id for v in graph.outputs}
    dropped: set[int] = set()

    def only_read_by(v: Value, node: Node) -> bool:
        return v.id not in outputs and [id(r) for r in readers.get(v.id, [])] == [id(node)]

    for i, node in enumerate(graph.nodes):
        if node.kind != "call" or type(node.fn) is not Add or node.inputs[0] is node.inputs[1]:
            continue
        y = node.outputs[0]
        for acc, part in (node.inputs, node.inputs[::-1]):
            scatter = made.get(part.id)
            if (acc.id in made and scatter is not None and type(scatter.fn) is SliceGrad
                    and acc.shape == part.shape == y.shape and acc.dtype == part.dtype == y.dtype
                    and only_read_by(acc, node) and only_read_by(part, node)):
                fused = Node("call", SliceAccumulate(scatter.fn.key), [acc, scatter.inputs[0]], [y])
                y.producer, y.index = fused, 0
                graph.nodes[i] = made[y.id] = fused
                dropped.add(id(scatter))
                break
    graph.nodes = [n for n in graph.nodes if id(n) not in dropped]
    graph.verify()
    return graph


def _slice_grad(node: Node) -> Node | None:
    """A SliceGrad call in place of ``node`` where it is a GetItem backward node of a basic key
    and of a fully known input shape; else None."""
    if node.kind != "backward" or type(node.fn) is not GetItem or not is_basic_key(node.fn.key):
        return None
    x, _, gy = node.inputs
    if gy is None or len(node.outputs) != 1 or x is None or x.shape is None or None in x.shape:
        return None
    grad = Node("call", SliceGrad(node.fn.key, tuple(x.shape)), [gy], list(node.outputs))
    grad.outputs[0].producer, grad.outputs[0].index = grad, 0
    return grad
