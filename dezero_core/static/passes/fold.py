"""Constant folding: compute once, when compiling, what depends on constants only.

A pure ``call`` node whose inputs are all constant arrays (``dz.constant``, folded results) runs
now; its outputs become constants. Parameters and state are never constants (they change between
runs), nor are random or otherwise impure nodes folded.
"""
from __future__ import annotations

from dezero_core.static.ir import Graph, Value


def fold_constants(graph: Graph) -> Graph:
    """Replace constant-only computations by their results; returns ``graph`` (edited in place)."""
    from dezero_core.static.symbolic import dtype_name, run_forward

    kept = []
    for node in graph.nodes:
        arrays = [v.source for v in node.inputs if v is not None and v.kind == "const"]
        foldable = (node.kind == "call" and not node.is_effect and node.inputs
                    and len(arrays) == len(node.inputs) and any(hasattr(a, "dtype") for a in arrays))
        if not foldable:
            kept.append(node)
            continue
        results = run_forward(node.fn, [v.source for v in node.inputs])
        for old, array in zip(node.outputs, results):
            new = Value("const", old.name, tuple(array.shape), dtype_name(array.dtype), source=array)
            graph.consts.append(new)
            graph.replace_uses(old, new)
    graph.nodes = kept
    return graph
