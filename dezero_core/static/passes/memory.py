"""Memory planning: the plan annotations of :mod:`dezero_core.static.ir`, set once the graph is final.

- ``free_after``: every intermediate is dropped right after its last reader (or right after its
  producer when nothing reads it), so a step holds only what is still needed;
- ``inplace``: a fused elementwise node (``OutForward.inplace_safe``) writes over its first input
  where that input is a fresh intermediate nothing reads afterwards;
- ``out``: nodes whose Function takes ``out=`` (:class:`~dezero_core.static.passes.fused_ops.OutForward`)
  write into persistent buffers (``Graph.buffers``), allocated once and reused across runs, and
  shared within a run by values whose lifetimes do not overlap.

- ``attrs["update_in_backward"]`` (on the ``set_grad`` nodes of a training step and its ``update``
  node): each gradient is handed to its parameter right after the last node that needs it, the
  parameter's value or its gradient, and the optimizer updates that parameter there and drops the
  gradient (:mod:`dezero_core.static.update`), instead of every gradient living until ``update``:
  the way PyTorch's optimizer-in-backward bounds a step's peak memory. The ``update`` node then reads
  no gradient. ``set_grad`` nodes of distinct parameters commute, so moving them is the one
  reordering of effect nodes a pass makes.

What the plan must never do is let a buffer be overwritten while something still sees it. Views
make that subtle: a reshape or a transpose may return a view of its input, a backward may return
the incoming gradient itself. So a value's lifetime is extended to the lifetime of every value that
may alias it: outputs of a ``call`` node may alias its inputs unless its Function is known to make
fresh arrays (:data:`FRESH`); outputs of a ``backward`` node may alias its incoming gradients. A
value that escapes (a graph output, a gradient handed to a parameter, anything an effect node reads),
or that may alias one that escapes, never gets a buffer: the caller would see it overwritten by the
next run.
"""
from __future__ import annotations

from dezero_core.functions import activations, arithmetic, elementwise, losses
from dezero_core.functions.affine import Linear
from dezero_core.functions.conv import Col2im, Conv2d, Conv2dGradW, Deconv2d
from dezero_core.functions.linalg import MatMul
from dezero_core.functions.pool import MaxPooling, WeightedPooling, WeightedPoolingGrad
from dezero_core.functions.reductions import LogSumExp, Max, Mean, Min, Sum, Var
from dezero_core.graph.function import Function
from dezero_core.static.ir import Buffer, Graph, Node, Value
from dezero_core.static.passes.fused_ops import OutForward
from dezero_core.static.symbolic import GradHolder


def _functions_of(*modules: object) -> tuple[type, ...]:
    return tuple(v for m in modules for v in vars(m).values()
                 if isinstance(v, type) and issubclass(v, Function) and v.__module__ == m.__name__)


#: Function types whose forward always returns an array no input shares memory with: arithmetic,
#: reductions, products, convolutions, losses. Not: reshapes, transposes, indexing, broadcasts,
#: im2col (views), dropout (its input itself in test mode), and any type not listed (a plugin's)
FRESH: tuple[type, ...] = (
    OutForward, Linear, MatMul, Sum, Mean, Max, Min, Var, LogSumExp, Conv2d, Deconv2d, Conv2dGradW, Col2im,
    MaxPooling, WeightedPooling, WeightedPoolingGrad, *_functions_of(activations, arithmetic, elementwise, losses))


def plan_memory(graph: Graph) -> Graph:
    """Set ``free_after``, ``inplace`` and ``out`` (with ``graph.buffers``) on ``graph``; run it last."""
    schedule_updates(graph)
    lifetime = _Lifetimes(graph)
    overwritten = _plan_inplace(graph, lifetime)
    _plan_buffers(graph, lifetime, overwritten)
    _plan_frees(graph, lifetime)
    return graph


class _Lifetimes:
    """Per value: where it is produced, where it is last read directly, and until where it (or a
    value that may alias it) is alive; and which values escape the graph."""

    def __init__(self, graph: Graph) -> None:
        self.produced: dict[int, int] = {}
        self.last_read: dict[int, int] = {}
        aliases: dict[int, list[Value]] = {}  # value id -> values that may alias it
        escaping: set[int] = {v.id for v in graph.outputs}
        for i, node in enumerate(graph.nodes):
            for v in node.outputs:
                self.produced[v.id] = i
            for v in node.inputs:
                if v is not None:
                    self.last_read[v.id] = i
                    if node.is_effect or node.kind not in ("call", "backward"):
                        escaping.add(v.id)
            for source in _may_alias(node):
                aliases.setdefault(source.id, []).extend(node.outputs)
        self.end: dict[int, int] = {}
        self.escapes: set[int] = set()
        # an alias is made by a node that reads the value, so it is produced later: going back
        # through the producers, every alias's end is known before the value it aliases
        for value in [v for n in reversed(graph.nodes) for v in n.outputs] + graph.leaves():
            later = aliases.get(value.id, [])
            self.end[value.id] = max([self.last_read.get(value.id, self.produced.get(value.id, -1)),
                                      *(self.end[a.id] for a in later)])
            if value.id in escaping or any(a.id in self.escapes for a in later):
                self.escapes.add(value.id)


def _may_alias(node: Node) -> list[Value]:
    """The inputs of ``node`` that its outputs may be views of."""
    if node.kind == "call":
        return [] if isinstance(node.fn, FRESH) else [v for v in node.inputs if v is not None]
    if node.kind == "backward":
        skip = node.attrs.get("n_in", 0) + node.attrs.get("n_out", 0)
        return [v for v in node.inputs[skip:] if v is not None]
    return []


def _fresh_intermediate(v: Value | None) -> bool:
    """A value made by a node that always allocates (so writing over it touches nothing else)."""
    return (v is not None and v.kind == "node" and v.producer is not None and v.producer.kind == "call"
            and isinstance(v.producer.fn, FRESH))


def _plan_inplace(graph: Graph, life: _Lifetimes) -> set[int]:
    """Mark nodes that may write over their first input; the ids of the values overwritten."""
    overwritten = set()
    for i, node in enumerate(graph.nodes):
        if node.kind != "call" or not getattr(node.fn, "inplace_safe", False) or len(node.outputs) != 1:
            continue
        first, y = node.inputs[0], node.outputs[0]
        if (_fresh_intermediate(first) and life.end[first.id] == i and first.id not in life.escapes
                and first.id not in overwritten and first.shape == y.shape and first.dtype == y.dtype
                and all(v is not first for v in node.inputs[1:])):  # read again after the overwrite
            node.inplace = True
            overwritten.add(first.id)
    return overwritten


def _plan_buffers(graph: Graph, life: _Lifetimes, overwritten: set[int]) -> None:
    """Linear scan: each eligible output takes a free buffer of its shape and dtype, or a new one.

    A value that a later node overwrites in place gets none: its array lives on as that node's
    output, past the end the scan would free the buffer at."""
    free: dict[tuple, list[int]] = {}
    busy: list[tuple[int, int, tuple]] = []  # (end, buffer index, key)
    for i, node in enumerate(graph.nodes):
        busy.sort()
        while busy and busy[0][0] < i:  # buffers whose values (and aliases) died before this node
            _, index, key = busy.pop(0)
            free.setdefault(key, []).append(index)
        if node.kind != "call" or not isinstance(node.fn, OutForward) or node.inplace or len(node.outputs) != 1:
            continue
        y = node.outputs[0]
        if y.id in life.escapes or y.id in overwritten or y.shape is None or None in y.shape or y.dtype is None:
            continue
        key = (tuple(y.shape), y.dtype)
        if free.get(key):
            index = free[key].pop()
        else:
            index = len(graph.buffers)
            graph.buffers.append(Buffer(key[0], key[1]))
        node.out = [index]
        busy.append((life.end[y.id], index, key))


def _plan_frees(graph: Graph, life: _Lifetimes) -> None:
    """Each intermediate dropped after the last node that reads it (its producer when none does)."""
    outputs = {v.id for v in graph.outputs}
    for node in graph.nodes:
        node.free_after = []
    for node in graph.nodes:
        for v in node.outputs:
            if v.id in outputs:
                continue
            last = life.last_read.get(v.id, life.produced[v.id])
            reader = graph.nodes[last]
            if v not in reader.free_after:
                reader.free_after.append(v)


def schedule_updates(graph: Graph) -> Graph:
    """Move each gradient's ``set_grad`` node to right after the last node that needs the gradient
    or the parameter's value (or a view of it), and mark it and the ``update`` node
    ``update_in_backward`` (see the module docstring); the graph unchanged where that could differ
    from updating at the end.

    It applies to a graph with one ``update`` node, of an optimizer with the base class's update
    (not a wrapper's own ``update()``, nor ``update_in_backward = False``), after every ``set_grad``,
    each of a distinct parameter, whose gradients nothing else reads; and not where a gradient is
    accumulated into the one a parameter held before the step (a step without ``cleargrads()``: the
    next step reads it)."""
    from dezero_core.optimizers.optimizer import Optimizer

    updates = [i for i, n in enumerate(graph.nodes) if n.kind == "update"]
    if len(updates) != 1 or any(isinstance(v.source, GradHolder) for v in graph.leaves()):
        return graph
    at = updates[0]
    update = graph.nodes[at]
    optimizer = update.fn
    if not (isinstance(optimizer, Optimizer) and type(optimizer).update is Optimizer.update
            and type(optimizer)._update_all is Optimizer._update_all and optimizer.update_in_backward):
        return graph
    position = {id(n): i for i, n in enumerate(graph.nodes)}
    set_grads = [n for n in graph.nodes if n.kind == "set_grad"]
    if not set_grads or any(position[id(n)] > at for n in set_grads):
        return graph
    if len({id(n.fn) for n in set_grads}) != len(set_grads):
        return graph
    users = graph.users()
    outputs = {v.id for v in graph.outputs}
    for n in set_grads:
        g = n.inputs[0]
        if g is None or g.id in outputs or any(u is not n and u is not update for u in users.get(g.id, [])):
            return graph
    value_of = {id(v.source): v for v in graph.params}
    aliases = _views_of([value_of[id(n.fn)] for n in set_grads if id(n.fn) in value_of], graph)
    after: dict[int, list[Node]] = {}  # node index -> the set_grad nodes to run right after it
    for n in set_grads:
        g, param = n.inputs[0], value_of.get(id(n.fn))
        needed = [position[id(g.producer)]] if g.producer is not None else [-1]
        for v in [param, *aliases.get(param.id, [])] if param is not None else []:
            needed.extend(position[id(u)] for u in users.get(v.id, []) if position[id(u)] < at)
        after.setdefault(max(needed), []).append(n)
        n.attrs["update_in_backward"] = True
    update.attrs["update_in_backward"] = True
    update.inputs = []  # the gradients are handed over (and dropped) at their set_grad nodes
    moved = {id(n) for n in set_grads}
    nodes = after.get(-1, [])
    for i, node in enumerate(graph.nodes):
        if id(node) not in moved:
            nodes.append(node)
        nodes.extend(after.get(i, []))
    graph.nodes = nodes
    return graph


def _views_of(values: list[Value], graph: Graph) -> dict[int, list[Value]]:
    """``value id -> every value that may be a view of it`` (views of views included), for ``values``."""
    direct: dict[int, list[Value]] = {}
    for node in graph.nodes:
        for source in _may_alias(node):
            direct.setdefault(source.id, []).extend(node.outputs)
    views: dict[int, list[Value]] = {}
    for value in values:
        seen: dict[int, Value] = {}
        stack = list(direct.get(value.id, []))
        while stack:
            v = stack.pop()
            if v.id not in seen:
                seen[v.id] = v
                stack.extend(direct.get(v.id, []))
        views[value.id] = list(seen.values())
    return views
