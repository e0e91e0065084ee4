"""One elementwise call over adjacent slices of one value: the pass ``merge_sliced_siblings``.

An LSTM cuts its gates from one matrix of pre-activations and applies a sigmoid to three of them:
three calls of the same elementwise function on three adjacent column blocks. On small arrays each
call costs far more than its arithmetic, so the pass computes the function once, over the block
that spans them, and takes each original result as a slice of that::

    y0 = sigmoid(a[:, 0:32]); y1 = sigmoid(a[:, 32:64])
    ->  z = sigmoid(a[:, 0:64]); y0 = z[:, 0:32]; y1 = z[:, 32:64]

Each element is computed by the same operations as before (the functions here are elementwise and
hold no state), so the values are the same to the bit. The backward nodes are left alone: they
read the same values (the slices of ``a`` stay in the graph for them) and the results, now views.
"""
from __future__ import annotations

from typing import Any

from dezero_core.functions.activations import ReLU, Sigmoid
from dezero_core.functions.arithmetic import Neg
from dezero_core.functions.elementwise import Abs, Cos, Exp, Log, Sin, Sqrt, Tanh
from dezero_core.functions.indexing import GetItem
from dezero_core.functions.joining import Concat
from dezero_core.static.autodiff import touches_none
from dezero_core.static.ir import Graph, Node, Value, function_attrs
from dezero_core.static.passes.slice_grads import TiledGrad, slice_span

#: elementwise Functions of one input and no attributes: one call over a block equals one per part
ELEMENTWISE: tuple[type, ...] = (Sigmoid, Tanh, Exp, Log, Sin, Cos, Sqrt, Abs, Neg, ReLU)


def merge_sliced_siblings(graph: Graph) -> Graph:
    """Calls of one function of :data:`ELEMENTWISE` on adjacent slices (along one axis) of one
    value as one call on the slice spanning them (see the module docstring)."""
    groups: dict[tuple, list[tuple[int, int, Node]]] = {}
    for node in graph.nodes:
        part = _sliced_call(node)
        if part is not None:
            source, axis, start, stop = part
            groups.setdefault((source.id, type(node.fn), axis), []).append((start, stop, node))
    position = {id(node): i for i, node in enumerate(graph.nodes)}
    backward_of: dict[int, list[Node]] = {}
    for node in graph.nodes:
        if node.kind == "backward":
            backward_of.setdefault(id(node.fn), []).append(node)
    readers = graph.users()
    for (_, _, axis), calls in groups.items():
        for run in _adjacent_runs(calls, position):
            span, merged = _merge(graph, run, axis)
            _merge_backward(graph, run, axis, span, merged, backward_of, readers)
    graph.verify()
    return graph


def _sliced_call(node: Node) -> tuple[Value, int, int, int] | None:
    """``(sliced value, axis, start, stop)`` where ``node`` is an :data:`ELEMENTWISE` call on a
    slice ``[start:stop]`` of one axis of a value of known shape (every other axis whole); else None."""
    if node.kind != "call" or type(node.fn) not in ELEMENTWISE or node.is_effect or function_attrs(node.fn):
        return None
    if len(node.outputs) != 1 or node.inputs[0] is None or node.inputs[0].producer is None:
        return None
    getitem = node.inputs[0].producer
    if getitem.kind != "call" or type(getitem.fn) is not GetItem or getitem.inputs[0] is None:
        return None
    source = getitem.inputs[0]
    if source.shape is None or None in source.shape:
        return None
    span = slice_span(getitem.fn.key, source.shape)
    return None if span is None else (source, *span)


def _adjacent_runs(calls: list[tuple[int, int, Node]], position: dict[int, int]) -> list[list[tuple[int, int, Node]]]:
    """Runs of two or more calls whose slices follow each other without gap, each run from the
    leftmost slice left, continued by the call nearest in the graph (the same slices may be taken
    several times: each run then takes one of each)."""
    remaining = sorted(calls, key=lambda c: (c[0], position[id(c[2])]))
    runs = []
    while remaining:
        run = [remaining.pop(0)]
        while True:
            last = run[-1]
            following = [c for c in remaining if c[0] == last[1]]
            if not following:
                break
            nearest = min(following, key=lambda c: abs(position[id(c[2])] - position[id(last[2])]))
            run.append(nearest)
            remaining.remove(nearest)
        if len(run) >= 2:
            runs.append(run)
    return runs


def _merge(graph: Graph, run: list[tuple[int, int, Node]], axis: int) -> tuple[Node, Node]:
    """The run's calls as one call on the spanning slice, each result a slice of it."""
    first_call = run[0][2]
    source = first_call.inputs[0].producer.inputs[0]
    start, stop = run[0][0], run[-1][1]
    y = first_call.outputs[0]
    shape = tuple(stop - start if i == axis else d for i, d in enumerate(source.shape))
    span = _call(GetItem(_key(axis, start, stop)), [source], shape, y.dtype)
    merged = _call(type(first_call.fn)(), [span.outputs[0]], shape, y.dtype)
    position = min(graph.nodes.index(node) for _, _, node in run)
    for s, e, node in run:  # each call becomes a slice of the merged result, producing the same value
        out = node.outputs[0]
        piece = Node("call", GetItem(_key(axis, s - start, e - start)), [merged.outputs[0]], [out])
        out.producer, out.index = piece, 0
        graph.nodes[graph.nodes.index(node)] = piece
    graph.nodes[position:position] = [span, merged]
    return span, merged


def _merge_backward(graph: Graph, run: list[tuple[int, int, Node]], axis: int, span: Node, merged: Node,
                    backward_of: dict[int, list[Node]], readers: dict[int, list[Node]]) -> None:
    """The run's backward nodes as one backward of the merged call, where their gradients meet only
    as consecutive parts of one :class:`TiledGrad` (as :func:`accumulate_slice_grads` makes them):
    the incoming gradients concatenated, one backward call, its result one part of the tiling."""
    backs = [backward_of.get(id(node.fn), []) for _, _, node in run]
    if any(len(b) != 1 or b[0].attrs.get("needs_grad") != (True,) or len(b[0].outputs) != 1
           or touches_none(b[0]) for b in backs):  # a gradient that may be None cannot be concatenated
        return
    backs = [b[0] for b in backs]
    grads = [b.outputs[0] for b in backs]
    tiles = {id(r) for g in grads for r in readers.get(g.id, [])}
    tile = readers.get(grads[0].id, [None])[0]
    if (len(tiles) != 1 or tile is None or type(tile.fn) is not TiledGrad or tile.fn.axis != axis
            or any(len(readers[g.id]) != 1 for g in grads)):
        return
    at = next((j for j, v in enumerate(tile.inputs) if v is grads[0]), None)
    if at is None or tile.inputs[at:at + len(grads)] != grads:
        return
    y = merged.outputs[0]
    incoming = _call(Concat(axis), [b.inputs[2] for b in backs], tuple(y.shape), y.dtype)
    back = Node("backward", merged.fn, [span.outputs[0], y, incoming.outputs[0]], [],
                {"n_in": 1, "n_out": 1, "needs_grad": (True,)})
    back.outputs = [Value("node", shape=y.shape, dtype=y.dtype, producer=back)]
    tile.inputs[at:at + len(grads)] = back.outputs
    last = max(graph.nodes.index(b) for b in backs)
    graph.nodes[last + 1:last + 1] = [incoming, back]
    dropped = {id(b) for b in backs}
    graph.nodes = [n for n in graph.nodes if id(n) not in dropped]


def _call(fn: Any, inputs: list[Value], shape: tuple[int, ...], dtype: str | None) -> Node:
    node = Node("call", fn, inputs)
    node.outputs = [Value("node", shape=shape, dtype=dtype, producer=node)]
    return node


def _key(axis: int, start: int, stop: int) -> tuple:
    """The GetItem key of ``[start:stop]`` along ``axis`` (as ``get_item`` spells keys)."""
    return (*(slice(None),) * axis, slice(start, stop), Ellipsis)
