"""Calls sharing a weight, batched across time steps: the pass ``batch_shared_weights``.

An unrolled recurrent network calls the same layer once per time step: an LSTM language model of 35
steps makes 35 embedding lookups, 35 input projections ``x_t @ W_x + b`` and 35 output layers, each
on an array of a few rows, and in backward as many weight gradients ``x_t^T @ gy_t``, summed by 34
``Add`` nodes per weight. On small arrays each call costs far more than its arithmetic, so the pass
makes one call of each:

- **forward**: calls of one function of :data:`BATCHABLE` reading the same shared inputs (the
  weights), none of which depends on another's result (an input projection does not depend on the
  recurrence; the hidden-to-hidden product does, and is left alone), become one call on their
  batched inputs concatenated along axis 0; each result is a slice of the batched one;
- **backward**: their backward nodes (whether or not the forward was batched) become one backward
  call on the inputs and incoming gradients concatenated: the weights' gradients ``X^T @ GY`` (and
  the bias's ``sum(GY)``) in one product, which replaces the ``Add`` tree summing the per-step
  ones. The batched input's gradients come from that call too where none of them feeds another
  node of the group (the gradient of ``h_t`` through the hidden-to-hidden product does: those keep
  their own backward, reduced to that gradient).

The graph is then ordered again (:func:`schedule`): a batched call runs once all its inputs exist.

The sums run in another order (one product over all rows instead of a product per step added up),
so results equal the unbatched graph's within float rounding, not to the bit.
"""
from __future__ import annotations

import copy
import heapq
import math
from typing import Iterable

from dezero_core.functions.affine import Linear
from dezero_core.functions.arithmetic import Add
from dezero_core.functions.embedding import EmbedID
from dezero_core.functions.indexing import GetItem
from dezero_core.functions.joining import Concat
from dezero_core.functions.shape import Reshape
from dezero_core.static.autodiff import touches_none
from dezero_core.static.ir import Graph, Node, Value

#: Functions batched along axis 0 of their first input, their other inputs shared (the weights):
#: ``fn(concat(x_t), *shared)`` is ``concat(fn(x_t, *shared))`` and its backward sums the shared
#: inputs' gradients over the rows
BATCHABLE: tuple[type, ...] = (Linear, EmbedID)

#: the most elements a step's batched input (or incoming gradient) may have: batching pays for the
#: Python of the calls it saves (~5 us each); above this a call's arithmetic outweighs its Python,
#: and the concatenated copies would add memory traffic and peak memory for nothing
MAX_PART_ELEMENTS = 1 << 16


def batch_shared_weights(graph: Graph) -> Graph:
    """Calls of :data:`BATCHABLE` sharing their weights as one call, and their backward nodes as
    one backward (see the module docstring)."""
    concats: dict[tuple[int, ...], Value] = {}
    order: dict[int, float] = {id(n): float(i) for i, n in enumerate(graph.nodes)}
    # a backward node's parts go in the order of their forward calls (the backward runs them in
    # reverse), so the batched input is the one the forward concatenated
    step = {id(n.fn): i for i, n in enumerate(graph.nodes) if n.kind == "call"}
    changed = False
    for group in _groups(n for n in graph.nodes if _batchable(n, "call")):
        if independent(graph, group, [n.outputs[0] for n in group]):
            _merge_calls(graph, group, concats, order)
            changed = True
    for group in _groups(n for n in graph.nodes if _batchable(n, "backward")):
        group.sort(key=lambda n: step.get(id(n.fn), -1))
        changed = _merge_backwards(graph, group, concats, order) or changed
    if changed:
        schedule(graph, order)
        graph.verify()
    return graph


# -- which nodes ---------------------------------------------------------------------------------------
def _batchable(node: Node, kind: str) -> bool:
    """Whether ``node`` is a ``kind`` node of :data:`BATCHABLE` whose batched input has a known shape
    of at least one axis (and, for a backward node, one output and an incoming gradient)."""
    if node.kind != kind or type(node.fn) not in BATCHABLE or node.is_effect or touches_none(node):
        return False  # (a gradient that may be None at run time cannot be concatenated)
    x = node.inputs[0]
    if x is None or x.shape is None or not x.shape or None in x.shape or math.prod(x.shape) > MAX_PART_ELEMENTS:
        return False
    gy = node.inputs[-1]
    if kind == "backward" and gy is not None and (gy.shape is None or None in gy.shape
                                                  or math.prod(gy.shape) > MAX_PART_ELEMENTS):
        return False
    if kind == "call":
        return len(node.outputs) == 1
    return node.attrs.get("n_out") == 1 and node.inputs[-1] is not None


def _groups(nodes: Iterable[Node]) -> list[list[Node]]:
    """The nodes grouped by function, shared inputs (by identity), the batched input's shape past
    axis 0 and which shared inputs get a gradient; groups of two or more, in graph order."""
    groups: dict[tuple, list[Node]] = {}
    for node in nodes:
        n_in = node.attrs["n_in"] if node.kind == "backward" else len(node.inputs)
        key = (type(node.fn), node.kind, tuple(id(v) for v in node.inputs[1:n_in]), tuple(node.inputs[0].shape[1:]),
               node.inputs[0].dtype, tuple(node.attrs.get("needs_grad", ()))[1:])
        groups.setdefault(key, []).append(node)
    return [g for g in groups.values() if len(g) >= 2]


def independent(graph: Graph, group: list[Node], roots: list[Value]) -> bool:
    """Whether no node of ``group`` reads (directly or through other nodes) any of ``roots``."""
    members = {id(n) for n in group}
    tainted = {v.id for v in roots}
    for node in graph.nodes:
        if any(v is not None and v.id in tainted for v in node.inputs):
            if id(node) in members:
                return False
            tainted.update(v.id for v in node.outputs)
    return True


# -- forward -------------------------------------------------------------------------------------------
def _merge_calls(graph: Graph, group: list[Node], concats: dict, order: dict[int, float]) -> None:
    """One call on the group's first inputs concatenated; each original result a slice of it."""
    first = group[0]
    at = min(order[id(n)] for n in group)
    x = concatenated(graph, [n.inputs[0] for n in group], concats, order, at)
    y0 = first.outputs[0]
    rows = x.shape[0]
    merged = Node("call", copy.copy(first.fn), [x, *first.inputs[1:]])
    merged.outputs = [Value("node", shape=(rows, *y0.shape[1:]) if y0.shape else None, dtype=y0.dtype,
                            producer=merged)]
    order[id(merged)] = at
    graph.nodes.append(merged)
    slice_into(graph, merged.outputs[0], [(n, n.outputs[0]) for n in group], order)
    dropped = {id(n) for n in group}
    graph.nodes = [n for n in graph.nodes if id(n) not in dropped]


def slice_into(graph: Graph, whole: Value, parts: list[tuple[Node, Value]], order: dict[int, float]) -> None:
    """Each value of ``parts`` (one per node of the group, in row order: as many rows as the node's
    first input) produced as the next rows of ``whole`` by a GetItem, in the node's place in the order."""
    start = 0
    for node, v in parts:
        stop = start + node.inputs[0].shape[0]
        piece = Node("call", GetItem((slice(start, stop), Ellipsis)), [whole], [v])
        v.producer, v.index = piece, 0
        order[id(piece)] = order[id(node)]
        graph.nodes.append(piece)
        start = stop


def concatenated(graph: Graph, values: list[Value], concats: dict, order: dict[int, float], at: float) -> Value:
    """``values`` concatenated along axis 0: one Concat node per distinct list of values, none
    where they are the consecutive row blocks of one value (as :func:`slice_into` makes them), a
    Reshape where they are its items ``x[0], x[1], ...`` (a window's ids, one step each)."""
    whole = sliced_whole(values)
    if whole is not None:
        return whole
    key = tuple(v.id for v in values)
    if key not in concats:
        rows = sum(v.shape[0] for v in values)
        steps = _stepped_whole(values)
        node = Node("call", Concat(0) if steps is None else Reshape((rows, *values[0].shape[1:])),
                    list(values) if steps is None else [steps])
        node.outputs = [Value("node", shape=(rows, *values[0].shape[1:]), dtype=values[0].dtype, producer=node)]
        order[id(node)] = at - 0.5
        graph.nodes.append(node)
        concats[key] = node.outputs[0]
    return concats[key]


def sliced_whole(values: list[Value]) -> Value | None:
    """The value whose rows ``values`` are, block after block from the first row to the last; else None."""
    start, whole = 0, None
    for v in values:
        getitem = v.producer
        if getitem is None or getitem.kind != "call" or type(getitem.fn) is not GetItem:
            return None
        key = getitem.fn.key  # checked piece by piece: an index array compares elementwise
        if ((whole is not None and getitem.inputs[0] is not whole) or not isinstance(key, tuple) or len(key) != 2
                or type(key[0]) is not slice or key[1] is not Ellipsis or v.shape is None):
            return None
        whole = getitem.inputs[0]
        if key[0] != slice(start, start + v.shape[0]):
            return None
        start += v.shape[0]
    return whole if whole is not None and whole.shape is not None and whole.shape[0] == start else None


def _stepped_whole(values: list[Value]) -> Value | None:
    """The value ``x`` (of known shape) whose items ``x[0], x[1], ...`` (all of them, in order) are
    ``values``, each of at least one axis; else None."""
    whole = None
    for k, v in enumerate(values):
        getitem = v.producer
        if getitem is None or getitem.kind != "call" or type(getitem.fn) is not GetItem or not v.shape:
            return None
        key = getitem.fn.key  # checked piece by piece: an index array compares elementwise
        if (not isinstance(key, tuple) or not 1 <= len(key) <= 2 or type(key[0]) is not int or key[0] != k
                or (len(key) == 2 and key[1] is not Ellipsis)
                or (whole is not None and getitem.inputs[0] is not whole)):
            return None
        whole = getitem.inputs[0]
    if whole is None or whole.shape is None or None in whole.shape or whole.shape[0] != len(values):
        return None
    return whole


# -- backward ------------------------------------------------------------------------------------------
def _merge_backwards(graph: Graph, group: list[Node], concats: dict, order: dict[int, float]) -> bool:
    """One backward call over the group's inputs and incoming gradients concatenated (see the module
    docstring); the shared inputs' gradient sums replaced by its gradients. False where nothing is
    merged (no gradient sum found, and the batched input's gradients feed the group)."""
    first = group[0]
    n_in = first.attrs["n_in"]
    needs = tuple(first.attrs["needs_grad"])  # the shared inputs' entries are the group's
    sums = {}  # input position -> the root of the Add tree summing the group's gradients of it
    for i in range(1, n_in):
        if needs[i]:
            root = _sum_root(graph, [_grad_of(n, i) for n in group])
            if root is not None:
                sums[i] = root
    whole_x = (all(n.attrs["needs_grad"][0] for n in group)
               and independent(graph, group, [_grad_of(n, 0) for n in group]))
    if not sums and not whole_x:
        return False
    at = max(order[id(n)] for n in group)
    x = concatenated(graph, [n.inputs[0] for n in group], concats, order, at)
    gy = concatenated(graph, [n.inputs[-1] for n in group], concats, order, at)
    merged_needs = (whole_x, *(i in sums for i in range(1, n_in)))
    merged = Node("backward", copy.copy(first.fn), [x, *first.inputs[1:n_in], None, gy], [],
                  {"n_in": n_in, "n_out": 1, "needs_grad": merged_needs})
    for i, need in enumerate(merged_needs):
        if need:
            like = x if i == 0 else first.inputs[i]
            merged.outputs.append(Value("node", shape=like.shape, dtype=like.dtype, producer=merged))
    order[id(merged)] = at
    graph.nodes.append(merged)
    grads = iter(merged.outputs)
    gx = next(grads) if whole_x else None
    for i in sorted(sums):
        graph.replace_uses(sums[i], next(grads))
    parts = [(n, _grad_of(n, 0)) for n in group] if whole_x else []
    for node in group:  # each keeps only what the merged call does not give (nothing: dropped below)
        _keep_grads(node, [not (i == 0 and whole_x) and i not in sums for i in range(n_in)])
    if whole_x:
        slice_into(graph, gx, parts, order)
    graph.nodes = [n for n in graph.nodes if n.kind != "backward" or n.outputs]
    return True


def _grad_of(node: Node, i: int) -> Value:
    """The output of backward node ``node`` that is the gradient of its input ``i`` (needed)."""
    needs = node.attrs["needs_grad"]
    return node.outputs[sum(1 for need in needs[:i] if need)]


def _keep_grads(node: Node, keep: list[bool]) -> None:
    """Backward node ``node`` reduced to the gradients ``keep`` says (its needs_grad and outputs)."""
    outputs = iter(node.outputs)
    kept = [next(outputs) if need else None for need in node.attrs["needs_grad"]]
    node.outputs = [v for v, k in zip(kept, keep) if v is not None and k]
    node.attrs["needs_grad"] = tuple(bool(v is not None and k) for v, k in zip(kept, keep))
    for j, v in enumerate(node.outputs):
        v.index = j


def _sum_root(graph: Graph, grads: list[Value]) -> Value | None:
    """The value of the tree of ``Add`` nodes that sums exactly ``grads`` (each partial sum read by
    its next ``Add`` only), or None where they are not summed that way. The tree's Adds are dropped."""
    inside = {v.id for v in grads}
    readers = graph.users()
    outputs = {v.id for v in graph.outputs}
    adds = []
    for node in graph.nodes:
        if (node.kind == "call" and type(node.fn) is Add and len(node.inputs) == 2
                and node.inputs[0] is not node.inputs[1]
                and all(v is not None and v.id in inside and v.id not in outputs
                        and len(readers.get(v.id, [])) == 1 for v in node.inputs)):
            inside.add(node.outputs[0].id)
            adds.append(node)
    if len(adds) != len(grads) - 1:
        return None
    consumed = {v.id for n in adds for v in n.inputs}
    if any(v.id not in consumed for v in grads):
        return None
    root = adds[-1].outputs[0]
    dropped = {id(n) for n in adds}
    graph.nodes = [n for n in graph.nodes if id(n) not in dropped]
    return root


# -- order ---------------------------------------------------------------------------------------------
def schedule(graph: Graph, order: dict[int, float]) -> None:
    """Order ``graph.nodes`` so each comes after the producers of its inputs, otherwise by ``order``
    (a node's former position; a new node's, that of the nodes it replaces); effect nodes keep their
    order among themselves."""
    produced_by = {v.id: node for node in graph.nodes for v in node.outputs}
    waiting: dict[int, int] = {}
    followers: dict[int, list[Node]] = {}
    previous_effect = None
    for node in graph.nodes:
        before = {id(produced_by[v.id]): produced_by[v.id] for v in node.inputs
                  if v is not None and v.id in produced_by}
        if node.is_effect:
            if previous_effect is not None:
                before[id(previous_effect)] = previous_effect
            previous_effect = node
        waiting[id(node)] = len(before)
        for producer in before.values():
            followers.setdefault(id(producer), []).append(node)
    ready = [(order[id(n)], k, n) for k, n in enumerate(graph.nodes) if not waiting[id(n)]]
    heapq.heapify(ready)
    ordered = []
    tiebreak = len(graph.nodes)
    while ready:
        _, _, node = heapq.heappop(ready)
        ordered.append(node)
        for follower in followers.get(id(node), []):
            waiting[id(follower)] -= 1
            if not waiting[id(follower)]:
                tiebreak += 1
                heapq.heappush(ready, (order[id(follower)], tiebreak, follower))
    if len(ordered) != len(graph.nodes):
        raise ValueError("batching calls across steps made a cycle: a batched call reads what another one makes")
    graph.nodes = ordered
