"""From recorded nodes to a :class:`~dezero_core.static.ir.Graph`.

Recording leaves a web of nodes and values (each symbol knows the node that made it). The builder
keeps the nodes the outputs and the effects need, in the order they were recorded (a topological
order: a node is recorded after the nodes it reads), merges the leaves that stand for one object (a
parameter used twice is one graph value), names everything readably and drops the examples.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Sequence

from dezero_core.static.ir import Graph, Node, Value, _ids


def build_graph(outputs: Sequence[Value], effects: Iterable[Node] = (), inputs: Sequence[Value] | None = None,
                param_names: dict[int, str] | None = None) -> Graph:
    """The graph computing ``outputs`` and running ``effects``; ``inputs`` fixes the argument order
    (default: every input value reached, in creation order). ``param_names`` maps ``id(parameter)``
    to a name (``l1/W``)."""
    needed: dict[int, Node] = {}
    stack: list[Node] = [v.producer for v in outputs if v.producer is not None] + list(effects)
    leaves: dict[int, Value] = {}
    for v in outputs:
        if v.producer is None:
            leaves[v.id] = v
    while stack:
        node = stack.pop()
        if id(node) in needed:
            continue
        needed[id(node)] = node
        for v in node.inputs:
            if v is None:
                continue
            if v.producer is None:
                leaves[v.id] = v
            elif id(v.producer) not in needed:
                stack.append(v.producer)
    nodes = sorted(needed.values(), key=lambda n: n._seq)  # type: ignore[attr-defined]

    # one value per outside object: a parameter (or array) read by several nodes
    by_source: dict[int, Value] = {}
    merged: dict[int, Value] = {}
    for v in sorted(leaves.values(), key=lambda v: v.id):
        if v.kind in ("param", "state"):
            key = id(v.source)
            if key in by_source:
                merged[v.id] = by_source[key]
                by_source[key].requires_grad |= v.requires_grad
                continue
            by_source[key] = v
    # the graph gets its own nodes and values: passes edit them; the record stays as it was
    copies: dict[int, Value] = {}

    def copy_of(v: Value | None) -> Value | None:
        if v is None:
            return None
        v = merged.get(v.id, v)
        if v.id not in copies:
            copies[v.id] = dataclasses.replace(v, id=next(_ids), producer=None)
            if hasattr(v, "_example"):
                copies[v.id]._example = v._example  # type: ignore[attr-defined]
        return copies[v.id]

    new_nodes = []
    for n in nodes:
        new = Node(n.kind, n.fn, [copy_of(v) for v in n.inputs], [copy_of(v) for v in n.outputs], dict(n.attrs))
        new._seq = n._seq  # type: ignore[attr-defined]
        for v in new.outputs:
            v.producer = new
        new_nodes.append(new)
    nodes = new_nodes
    outputs = [copy_of(v) for v in outputs]
    kept = [copy_of(v) for v in sorted(leaves.values(), key=lambda v: v.id) if v.id not in merged]
    found_inputs = [v for v in kept if v.kind == "input"]
    if inputs is not None:
        inputs = [copy_of(v) for v in inputs]
    graph = Graph(
        inputs=list(inputs) if inputs is not None else found_inputs,
        params=[v for v in kept if v.kind in ("param", "state")],
        consts=[v for v in kept if v.kind == "const"],
        nodes=nodes,
        outputs=list(outputs),
    )
    _name(graph, param_names or {})
    return graph


def _name(graph: Graph, param_names: dict[int, str]) -> None:
    """Readable, unique names: parameters by their layer path (else p0, p1...), states s0..., constants
    c0..., node outputs v0, v1... in order; examples dropped."""
    used = {v.name for v in graph.inputs}
    counters = {"param": 0, "state": 0, "const": 0}
    for v in graph.params + graph.consts:
        name = param_names.get(id(v.source)) if v.kind == "param" else None
        if not name or name in used:
            prefix = {"param": "p", "state": "s", "const": "c"}[v.kind]
            name = f"{prefix}{counters[v.kind]}"
            counters[v.kind] += 1
        used.add(name)
        v.name = name
    by_holder = {id(v.source): v.name for v in graph.params}
    k = 0
    for node in graph.nodes:
        if node.kind == "set_grad":
            node.attrs["name"] = by_holder.get(id(node.fn), "param")
        for v in node.outputs:
            v.name = f"v{k}"
            k += 1
    for v in [*graph.inputs, *graph.params, *graph.consts] + [o for n in graph.nodes for o in n.outputs]:
        if hasattr(v, "_example"):
            del v._example  # type: ignore[attr-defined]


def layers_of(*objects: Any) -> list[Any]:
    """The Layers among ``objects``: themselves, a bound method's object, an optimizer's target, and
    what a function's closure or the globals it names hold (a traced step usually uses its model
    and optimizer from an enclosing function or the module)."""
    from dezero_core.layers.layer import Layer

    found: list[Any] = []
    candidates = list(objects)
    for obj in objects:
        cells = getattr(obj, "__closure__", None) or ()
        candidates += [c.cell_contents for c in cells if _filled(c)]
        code, namespace = getattr(obj, "__code__", None), getattr(obj, "__globals__", None)
        if code is not None and namespace is not None:
            candidates += [namespace[name] for name in code.co_names if name in namespace]
    for obj in candidates:
        for layer in (obj, getattr(obj, "__self__", None), getattr(obj, "target", None)):
            if isinstance(layer, Layer) and all(layer is not f for f in found):
                found.append(layer)
    return found


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return True


def layer_param_names(*objects: Any) -> dict[int, str]:
    """``id(parameter) -> name`` from every Layer :func:`layers_of` finds among ``objects``."""
    names: dict[int, str] = {}
    for layer in layers_of(*objects):
        for name, p in layer.named_param_list():
            names.setdefault(id(p), name)
    return names
