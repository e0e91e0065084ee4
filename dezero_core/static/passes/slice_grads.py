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
  the slice added in place into the other array, which is fresh and dead after the ``Add``;
- where such a chain's slices tile the array along one axis (an LSTM's four gates), it becomes
  one :class:`TiledGrad`: the slices' gradients concatenated, no zeros at all.

The values are those of the unfused nodes: every element of the eager sum is a ``+0`` from the
zeros plus the slices' gradients in the same order, and ``a + (0 + g) == a + g`` for an ``a`` that
is a sum started from ``+0`` (never ``-0``).
"""
from __future__ import annotations

from typing import Any

from dezero_core.functions.arithmetic import Add
from dezero_core.functions.indexing import GetItem
from dezero_core.graph.function import Function
from dezero_core.static.autodiff import touches_none
from dezero_core.static.ir import Graph, Node, Value


class GradientNode(Function):
    """A Function a pass puts into a graph's backward: computed, never differentiated again."""

    def backward(self, xp, xs, y, gy):
        raise NotImplementedError(f"{type(self).__name__} is a gradient node of a compiled graph: it has no backward")


class SliceGrad(GradientNode):
    """The gradient of ``x[key]`` for a basic ``key``: zeros of ``shape`` with ``gy`` added at ``key``."""

    def __init__(self, key: tuple, shape: tuple[int, ...]) -> None:
        self.key = key
        self.shape = shape

    def forward(self, xp, gy):
        gx = xp.zeros(self.shape, dtype=gy.dtype, device=getattr(gy, "device", None))
        gx[self.key] += gy
        return gx


class SliceAccumulate(GradientNode):
    """``acc[key] += gy``, in place; returns ``acc`` (a gradient being summed, read by nothing else)."""

    def __init__(self, key: tuple) -> None:
        self.key = key

    def forward(self, xp, acc, gy):
        acc[self.key] += gy
        return acc


class TiledGrad(GradientNode):
    """The gradient of a value whose slices along ``axis`` tile it: their gradients concatenated,
    plus zero (as the scatters into zeros give: ``0 + (-0.0)`` is ``+0.0``)."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, xp, *gys):
        gx = xp.concat(gys, axis=self.axis)
        gx += 0.0
        return gx


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
    _concatenate_tilings(graph)
    graph.verify()
    return graph


def _concatenate_tilings(graph: Graph) -> None:
    """Each chain (a SliceGrad, then SliceAccumulates each reading the one before, and nothing
    else reading them) whose slices tile its array along one axis, as one :class:`TiledGrad` at
    its last link: the gradients concatenated in place of zeros and a slice addition each."""
    readers = graph.users()
    outputs = {v.id for v in graph.outputs}
    replaced: dict[int, Node] = {}  # id(last link) -> its TiledGrad
    dropped: set[int] = set()
    for node in graph.nodes:
        if node.kind != "call" or type(node.fn) is not SliceGrad:
            continue
        links = [node]
        while True:
            y = links[-1].outputs[0]
            following = readers.get(y.id, [])
            if (y.id in outputs or len(following) != 1 or type(following[0].fn) is not SliceAccumulate
                    or following[0].inputs[0] is not y):
                break
            links.append(following[0])
        tiled = _tiling(node.fn.shape, [(link.fn.key, link.inputs[-1]) for link in links])
        if tiled is not None:
            axis, parts = tiled
            last = links[-1]
            tile = Node("call", TiledGrad(axis), parts, list(last.outputs))
            last.outputs[0].producer, last.outputs[0].index = tile, 0
            replaced[id(last)] = tile
            dropped.update(id(link) for link in links[:-1])
    graph.nodes = [replaced.get(id(n), n) for n in graph.nodes if id(n) not in dropped]


def _tiling(shape: tuple[int, ...], parts: list[tuple[tuple, Value]]) -> tuple[int, list[Value]] | None:
    """``(axis, gradients in the order of their slices)`` where the keys of ``parts`` are slices of
    ``shape`` along one axis that cover it without gap or overlap; else None."""
    spans = [slice_span(key, shape) for key, _ in parts]
    if len(parts) < 2 or None in spans or len({span[0] for span in spans}) != 1:
        return None
    axis = spans[0][0]
    order = sorted(range(len(parts)), key=lambda i: spans[i][1])
    edges = [spans[i][1:] for i in order]
    if edges[0][0] != 0 or edges[-1][1] != shape[axis] or any(a[1] != b[0] for a, b in zip(edges, edges[1:])):
        return None
    return axis, [parts[i][1] for i in order]


def slice_span(key: Any, shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """``(axis, start, stop)`` where ``key`` (a GetItem key) takes ``[start:stop]`` (step 1, not
    empty) of one axis of an array of ``shape`` and every other axis whole; else None."""
    if not isinstance(key, tuple) or any(k is Ellipsis for k in key[:-1]):
        return None
    parts = key[:-1] if key and key[-1] is Ellipsis else key
    if len(parts) > len(shape) or not all(type(k) is slice for k in parts):
        return None
    cut = [axis for axis, k in enumerate(parts) if k != slice(None)]
    if len(cut) != 1 or parts[cut[0]].step not in (None, 1):
        return None
    axis = cut[0]
    start, stop, _ = parts[axis].indices(shape[axis])
    return (axis, start, stop) if start < stop else None


def _slice_grad(node: Node) -> Node | None:
    """A SliceGrad call in place of ``node`` where it is a GetItem backward node of a basic key
    and of a fully known input shape; else None."""
    if (node.kind != "backward" or type(node.fn) is not GetItem or not is_basic_key(node.fn.key)
            or touches_none(node)):  # a call would get the None a skipped backward node gives
        return None
    x, _, gy = node.inputs
    if gy is None or len(node.outputs) != 1 or x is None or x.shape is None or None in x.shape:
        return None
    grad = Node("call", SliceGrad(node.fn.key, tuple(x.shape)), [gy], list(node.outputs))
    grad.outputs[0].producer, grad.outputs[0].index = grad, 0
    return grad
