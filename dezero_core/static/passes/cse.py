"""Common-subexpression elimination: one node for each distinct computation.

Two pure nodes of the same Function class with equal attributes and the same inputs compute the
same outputs: the later one goes, its readers read the earlier one's outputs. A backward node of a
removed forward node then belongs to the kept one (``fn`` is shared), because a Function's
backward may read what its forward left on the instance (softmax cross-entropy keeps the softmax).
Effect nodes (random draws, in-place state, writes) are never merged.
"""
from __future__ import annotations

from typing import Any

from dezero_core.static.ir import Graph, Node, function_attrs


def cse(graph: Graph) -> Graph:
    """Merge duplicate computations; returns ``graph`` (edited in place)."""
    seen: dict[Any, Node] = {}
    replaced_fn: dict[int, Any] = {}
    kept = []
    for node in graph.nodes:
        if node.kind == "backward" and id(node.fn) in replaced_fn:
            node.fn = replaced_fn[id(node.fn)]
        key = _key(node)
        if key is None:
            kept.append(node)
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = node
            kept.append(node)
            continue
        for old, new in zip(node.outputs, first.outputs):
            graph.replace_uses(old, new)
        if node.kind == "call":
            replaced_fn[id(node.fn)] = first.fn
    graph.nodes = kept
    return graph


def _key(node: Node) -> Any:
    """What makes two nodes compute the same thing; None when the node must stay as it is."""
    if node.is_effect or node.kind not in ("call", "backward"):
        return None
    inputs = tuple(None if v is None else v.id for v in node.inputs)
    if node.kind == "backward":
        return ("backward", id(node.fn), inputs, tuple(node.attrs["needs_grad"]))
    try:
        attrs = tuple(sorted((k, _hashable(v)) for k, v in function_attrs(node.fn).items()
                             if not k.startswith("_")))
        hash(attrs)
    except TypeError:
        return None
    return ("call", type(node.fn), attrs, inputs)


def _hashable(value: Any) -> Any:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return ("array", id(value))  # the same array object only
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value
