"""Graphs built by hand and a reference interpreter: what the pass tests feed passes and check them with.

:class:`Builder` records calls of real Functions on example arrays (so every value has its shape and
dtype) and derives backward nodes the way the IR documents them (``xs + ys + gys``, ``needs_grad``),
summing a value's gradient contributions with ``Add`` calls. :func:`interpret` runs a graph node by
node with the semantics of :mod:`dezero_core.static.ir`, honouring the memory plan (``out`` buffers,
``inplace``, ``free_after``) and failing loudly where a plan frees a value that is read later.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from dezero_core import get_backend
from dezero_core.functions.arithmetic import Add
from dezero_core.static.ir import Buffer, Graph, Node, Value

XP = get_backend("numpy").ops


class Builder:
    """A graph under construction, with an example array for every value."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.example: dict[int, np.ndarray] = {}
        self.calls: list[Node] = []

    def _value(self, kind: str, name: str, array: np.ndarray, requires_grad: bool, **kw: Any) -> Value:
        array = np.asarray(array)
        v = Value(kind, name, tuple(array.shape), str(array.dtype), requires_grad, **kw)
        self.example[v.id] = array
        return v

    def input(self, name: str, array: Any, requires_grad: bool = False) -> Value:
        """A graph input (``requires_grad`` for inputs the test differentiates)."""
        v = self._value("input", name, array, requires_grad)
        self.graph.inputs.append(v)
        return v

    def call(self, fn: Any, *inputs: Value) -> Value:
        """A ``call`` node of the Function instance ``fn`` (one output)."""
        y = np.asarray(fn.forward(XP, *[self.example[v.id] for v in inputs]))
        node = Node("call", fn, list(inputs))
        out = self._value("node", "", y, any(v.requires_grad for v in inputs), producer=node)
        node.outputs = [out]
        self.graph.nodes.append(node)
        self.calls.append(node)
        return out

    def backward(self, loss: Value) -> dict[int, Value]:
        """Backward nodes of every call, in reverse, from a seed of ones; value id -> its gradient."""
        seed = self._value("const", "seed", np.ones_like(self.example[loss.id]), False, source=None)
        seed.source = self.example[seed.id]
        self.graph.consts.append(seed)
        grads: dict[int, Value] = {loss.id: seed}
        for node in reversed(self.calls):
            y = node.outputs[0]
            if y.id not in grads or not any(v.requires_grad for v in node.inputs):
                continue
            needs = tuple(v.requires_grad for v in node.inputs)
            node.fn.needs_grad = needs
            xs = [self.example[v.id] for v in node.inputs]
            result = node.fn.backward(XP, xs, self.example[y.id], self.example[grads[y.id].id])
            result = result if isinstance(result, tuple) else (result,)
            back = Node("backward", node.fn, [*node.inputs, y, grads[y.id]], [],
                        {"n_in": len(xs), "n_out": 1, "needs_grad": needs})
            self.graph.nodes.append(back)
            for v, g, needed in zip(node.inputs, result, needs):
                if not needed:
                    continue
                gv = self._value("node", "", g, False, producer=back, index=len(back.outputs))
                back.outputs.append(gv)
                if v.id in grads:  # a second contribution: summed by an Add call
                    gv = self.call(Add(), grads[v.id], gv)
                grads[v.id] = gv
        return grads

    def finish(self, *outputs: Value) -> Graph:
        """The graph returning ``outputs``, verified."""
        self.graph.outputs = list(outputs)
        self.graph.verify()
        return self.graph


def interpret(graph: Graph, feeds: dict[str, Any], buffers: list[Any] | None = None) -> list[np.ndarray]:
    """Run ``graph`` on ``feeds`` (input name -> array) as the IR says; copies of the outputs.

    ``buffers``: the arrays of ``graph.buffers`` (allocated here when None; pass the same list to
    later runs to reuse them, as an executor does).
    """
    if buffers is None:
        buffers = [np.empty(b.shape, b.dtype) for b in graph.buffers]
    env: dict[int, Any] = {v.id: np.asarray(feeds[v.name]) for v in graph.inputs}
    env.update({v.id: v.source for v in graph.consts})
    freed: set[int] = set()

    def read(v: Value | None) -> Any:
        if v is None:
            return None
        if v.id in freed:
            raise AssertionError(f"{v!r} is read after the memory plan freed it")
        return env[v.id]

    for node in graph.nodes:
        args = [read(v) for v in node.inputs]
        if node.kind == "call":
            kwargs = {}
            if node.inplace:
                kwargs["out"] = args[0]
            elif node.out and node.out[0] is not None:
                kwargs["out"] = buffers[node.out[0]]
            ys = node.fn.forward(XP, *args, **kwargs)
            ys = ys if isinstance(ys, tuple) else (ys,)
        elif node.kind == "backward":
            n_in, n_out = node.attrs["n_in"], node.attrs["n_out"]
            xs, rest = args[:n_in], args[n_in:]
            node.fn.needs_grad = node.attrs["needs_grad"]
            gs = node.fn.backward(XP, xs, rest[0], rest[n_out])
            gs = gs if isinstance(gs, tuple) else (gs,)
            ys = tuple(g for g, needed in zip(gs, node.attrs["needs_grad"]) if needed)
        else:
            raise AssertionError(f"the harness does not run {node.kind} nodes")
        for v, y in zip(node.outputs, ys):
            env[v.id] = y
        for v in node.free_after:
            freed.add(v.id)
            del env[v.id]
    return [np.array(read(v), copy=True) for v in graph.outputs]


def clone(graph: Graph) -> Graph:
    """A deep copy (values, nodes and Function instances), so a pass on it leaves ``graph`` alone."""
    return copy.deepcopy(graph)


def buffer_bytes(graph: Graph) -> int:
    """Bytes of the graph's persistent buffers."""
    return sum(int(np.prod(b.shape)) * np.dtype(b.dtype).itemsize for b in graph.buffers)


__all__ = ["Buffer", "Builder", "buffer_bytes", "clone", "interpret"]
