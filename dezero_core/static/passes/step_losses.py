"""The per-step losses of an unrolled network as one call: the pass ``batch_step_losses``.

A language model trained over a window of 35 steps adds up 35 ``softmax_cross_entropy`` losses,
each over a batch of a few rows: 35 forward and 35 backward calls whose Python costs more than
their arithmetic. The pass computes them as one :class:`SoftmaxCrossEntropyParts` over the steps'
scores and labels concatenated (after ``batch_shared_weights`` the scores already are the row
blocks of one array) and takes each step's loss as an element of its result; their backward nodes
become one backward over the stacked incoming gradients, each step's gradient a row block of it.

Every row is computed by the same operations as in the per-step call, and each step's mean sums
its own rows as that call does (a row of the reshaped array, reduced as the step's own array), so
the losses and gradients equal the unbatched graph's to the bit (numpy; the tests check it).
"""
from __future__ import annotations

import math

from dezero_core.functions.indexing import GetItem
from dezero_core.functions.joining import Concat, Stack
from dezero_core.functions.losses import SoftmaxCrossEntropy
from dezero_core.graph.function import Function
from dezero_core.static.autodiff import touches_none
from dezero_core.static.ir import Graph, Node, Value
from dezero_core.static.passes import shared_weights
from dezero_core.static.passes.shared_weights import concatenated, independent, schedule, slice_into, sliced_whole


class SoftmaxCrossEntropyParts(Function):
    """The losses of ``parts`` softmax cross-entropies, one per block of equally many rows of
    ``x`` (scores ``(parts * n, C)``) and ``t`` (labels ``(parts * n,)``): a vector of ``parts``
    means, each what ``SoftmaxCrossEntropy`` gives for its block (no smoothing, nothing ignored)."""

    def __init__(self, parts: int) -> None:
        self.parts = parts

    def forward(self, xp, x, t):
        rows = x.shape[0] // self.parts
        shifted = x - xp.max(x, axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = xp.sum(e, axis=1, keepdims=True)
        self._softmax = e / total  # for the backward, as SoftmaxCrossEntropy keeps it
        if hasattr(xp, "take_along_axis"):
            picked = xp.take_along_axis(shifted, xp.reshape(t, (-1, 1)), axis=1)
        else:  # the label's score through the one-hot target, as SoftmaxCrossEntropy does there
            picked = xp.sum(SoftmaxCrossEntropy().target(xp, t, x.shape[1], x.dtype) * shifted, axis=1)
        logs = xp.reshape(xp.log(total), (self.parts, rows))
        return (xp.sum(logs, axis=1) - xp.sum(xp.reshape(picked, (self.parts, rows)), axis=1)) * (1.0 / max(rows, 1))

    def backward(self, xp, xs, y, gy):
        x, t = xs
        rows, classes = x.shape[0] // self.parts, x.shape[1]
        target = SoftmaxCrossEntropy().target(xp, t, classes, x.dtype)
        scale = xp.reshape(gy * (1.0 / max(rows, 1)), (self.parts, 1, 1))
        g = xp.reshape(self._softmax - target, (self.parts, rows, classes)) * scale
        return xp.reshape(g, (self.parts * rows, classes)), None


def batch_step_losses(graph: Graph) -> Graph:
    """The graph's plain ``softmax_cross_entropy`` calls over scores of one shape as one
    :class:`SoftmaxCrossEntropyParts` call, and their backward nodes as one (see the module docstring)."""
    calls = [n for n in graph.nodes if _plain_loss(n)]
    backward_of: dict[int, list[Node]] = {}
    for node in graph.nodes:
        if node.kind == "backward":
            backward_of.setdefault(id(node.fn), []).append(node)
    groups: dict[tuple, list[Node]] = {}
    for node in calls:
        x, t = node.inputs
        groups.setdefault((tuple(x.shape), x.dtype, tuple(t.shape)), []).append(node)
    order: dict[int, float] = {id(n): float(i) for i, n in enumerate(graph.nodes)}
    changed = False
    for group in groups.values():
        backs = [backward_of.get(id(n.fn), []) for n in group]
        with_backward = all(len(b) == 1 and _plain_backward(b[0]) for b in backs)
        if len(group) < 2 or not (with_backward or not any(backs)):
            continue
        if not independent(graph, group, [n.outputs[0] for n in group]) or (
                with_backward and not independent(graph, [b[0] for b in backs], [b[0].outputs[0] for b in backs])):
            continue  # one step's loss (or its gradient) feeds another's: they cannot run as one call
        _merge(graph, group, [b[0] for b in backs] if with_backward else None, order)
        changed = True
    if changed:
        _drop_concats_of_whole(graph)
        schedule(graph, order)
        graph.verify()
    return graph


def _plain_loss(node: Node) -> bool:
    """A call of SoftmaxCrossEntropy without smoothing or ignored labels on known 2-d scores (at
    most ``MAX_PART_ELEMENTS`` of them, as ``batch_shared_weights`` batches) and 1-d labels."""
    if node.kind != "call" or type(node.fn) is not SoftmaxCrossEntropy or node.is_effect:
        return False
    if node.fn.ignore_index is not None or node.fn.label_smoothing or len(node.inputs) != 2:
        return False
    x, t = node.inputs
    return (x is not None and t is not None and x.shape is not None and t.shape is not None and len(x.shape) == 2
            and len(t.shape) == 1 and None not in x.shape and x.shape[0] == t.shape[0] and x.shape[0] > 0
            and math.prod(x.shape) <= shared_weights.MAX_PART_ELEMENTS)


def _plain_backward(node: Node) -> bool:
    """Its backward node, differentiating the scores only, with an incoming gradient."""
    return (tuple(node.attrs.get("needs_grad", ())) == (True, False) and node.inputs[3] is not None
            and not touches_none(node))  # a gradient that may be None at run time cannot be stacked


def _merge(graph: Graph, group: list[Node], backs: list[Node] | None, order: dict[int, float]) -> None:
    """The group's losses as elements of one SoftmaxCrossEntropyParts call; their backward nodes
    (``backs``, one per call, or None) as one backward whose result's row blocks are their gradients."""
    at = min(order[id(n)] for n in group)
    concats: dict = {}
    x = concatenated(graph, [n.inputs[0] for n in group], concats, order, at)
    t = concatenated(graph, [n.inputs[1] for n in group], concats, order, at)
    fn = SoftmaxCrossEntropyParts(len(group))
    merged = Node("call", fn, [x, t])
    y0 = group[0].outputs[0]
    merged.outputs = [Value("node", shape=(len(group),), dtype=y0.dtype, producer=merged)]
    order[id(merged)] = at
    graph.nodes.append(merged)
    for k, node in enumerate(group):  # each loss: element k
        loss = node.outputs[0]
        pick = Node("call", GetItem((k,)), [merged.outputs[0]], [loss])
        loss.producer, loss.index = pick, 0
        order[id(pick)] = order[id(node)]
        graph.nodes.append(pick)
    dropped = {id(n) for n in group}
    if backs is not None:
        last = max(order[id(b)] for b in backs)
        stack = Node("call", Stack(0), [b.inputs[3] for b in backs])
        stack.outputs = [Value("node", shape=(len(group),), dtype=y0.dtype, producer=stack)]
        back = Node("backward", fn, [x, t, merged.outputs[0], stack.outputs[0]], [],
                    {"n_in": 2, "n_out": 1, "needs_grad": (True, False)})
        back.outputs = [Value("node", shape=x.shape, dtype=x.dtype, producer=back)]
        order[id(stack)], order[id(back)] = last - 0.5, last
        graph.nodes += [stack, back]
        slice_into(graph, back.outputs[0], [(n, b.outputs[0]) for n, b in zip(group, backs)], order)
        dropped.update(id(b) for b in backs)
    graph.nodes = [n for n in graph.nodes if id(n) not in dropped]


def _drop_concats_of_whole(graph: Graph) -> None:
    """Concat nodes (axis 0) of the consecutive row blocks of one value read that value instead
    (the scores' gradients that ``batch_shared_weights`` concatenated are now such blocks)."""
    kept = []
    for node in graph.nodes:
        whole = sliced_whole(node.inputs) if node.kind == "call" and type(node.fn) is Concat and \
            node.fn.axis == 0 and all(v is not None and v.shape for v in node.inputs) else None
        if whole is None or whole.shape != node.outputs[0].shape:
            kept.append(node)
            continue
        graph.replace_uses(node.outputs[0], whole)
    graph.nodes = kept


__all__ = ["SoftmaxCrossEntropyParts", "batch_step_losses"]
