"""A third-party pass, written as any distribution would write one: ``x * 1`` is ``x``."""
from __future__ import annotations

from dezero_core.functions.arithmetic import MulScalar
from dezero_core.static.ir import Graph


def drop_multiply_by_one(graph: Graph) -> Graph:
    """Remove ``MulScalar`` nodes whose constant is 1 (their readers read the input instead); one whose
    backward is in the graph stays (that backward node reads the forward node's output)."""
    differentiated = {id(n.fn) for n in graph.nodes if n.kind == "backward"}
    kept = []
    for node in graph.nodes:
        if (node.kind == "call" and isinstance(node.fn, MulScalar) and node.fn.c == 1
                and id(node.fn) not in differentiated):
            graph.replace_uses(node.outputs[0], node.inputs[0])
        else:
            kept.append(node)
    graph.nodes = kept
    return graph
