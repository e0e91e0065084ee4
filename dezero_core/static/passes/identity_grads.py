"""Backward nodes that hand the incoming gradient on unchanged: the pass ``elide_identity_grads``.

The backward of ``a + b`` is ``(sum_to(gy, a.shape), sum_to(gy, b.shape))``, and ``sum_to`` of an
array to its own shape is that array: where no operand was broadcast, each needed gradient *is*
``gy``, the same object. The same holds for ``x + c`` with a scalar ``c``. A loss summed over time
steps (an LSTM window's 35 losses) or a residual connection adds one such node per addition; the
pass drops them and lets their readers read ``gy``, which is what they were handed anyway.

It runs after ``fuse_algebraic``, which fuses an ``Add`` with the product before it only when it
finds both backward nodes.
"""
from __future__ import annotations

from dezero_core.functions.arithmetic import Add, AddScalar
from dezero_core.static.ir import Graph, Node, Value

#: Functions whose backward returns the incoming gradient for every input of the output's shape
PASS_THROUGH: tuple[type, ...] = (Add, AddScalar)


def elide_identity_grads(graph: Graph) -> Graph:
    """Drop each backward node of :data:`PASS_THROUGH` whose needed inputs all have the incoming
    gradient's (known) shape; its gradients' readers read the incoming gradient."""
    kept = []
    for node in graph.nodes:
        gy = _passed_through(node)
        if gy is None:
            kept.append(node)
            continue
        for v in node.outputs:
            graph.replace_uses(v, gy)
    graph.nodes = kept
    graph.verify()
    return graph


def _passed_through(node: Node) -> Value | None:
    """The incoming gradient where ``node`` is a backward node returning it for each needed input."""
    if node.kind != "backward" or type(node.fn) not in PASS_THROUGH or node.attrs.get("n_out") != 1:
        return None
    n_in = node.attrs["n_in"]
    gy = node.inputs[n_in + 1]
    if gy is None or gy.shape is None or None in gy.shape:
        return None
    # (a gy that may be None at run time is fine: its readers get the None the skipped node gave)
    needed = [x for x, need in zip(node.inputs[:n_in], node.attrs["needs_grad"]) if need]
    if any(x is None or x.shape != gy.shape for x in needed):
        return None
    return gy
