"""Dead-code elimination: drop what neither an output nor an effect needs.

Walking the nodes backwards, a node stays when it is an effect (``Node.is_effect``) or one of its
outputs is read. A backward node keeps only the gradients something reads: the others leave its
``outputs`` and turn False in its ``needs_grad``, so the Function's backward skips them (the
gradients of the input batch and of the labels, which eager mode computes and throws away). Leaves
nothing reads (parameters, constants) leave the graph; the arguments stay, as the call signature.
"""
from __future__ import annotations

from dezero_core.static.ir import Graph, Node


def dce(graph: Graph) -> Graph:
    """Remove dead nodes and unread gradients; returns ``graph`` (edited in place)."""
    live = {v.id for v in graph.outputs}
    kept: list[Node] = []
    for node in reversed(graph.nodes):
        if node.kind == "backward" and not node.is_effect:
            _drop_unread_gradients(node, live)
        if node.is_effect or any(v.id in live for v in node.outputs):
            kept.append(node)
            live.update(v.id for v in node.inputs if v is not None)
    graph.nodes = kept[::-1]
    graph.params = [v for v in graph.params if v.id in live]
    graph.consts = [v for v in graph.consts if v.id in live]
    return graph


def _drop_unread_gradients(node: Node, live: set[int]) -> None:
    needs = list(node.attrs["needs_grad"])
    outputs = iter(node.outputs)
    kept = []
    for i, needed in enumerate(needs):
        if not needed:
            continue
        v = next(outputs)
        if v.id in live:
            kept.append(v)
        else:
            needs[i] = False
    node.outputs = kept
    node.attrs["needs_grad"] = tuple(needs)
    for i, v in enumerate(kept):
        v.index = i
