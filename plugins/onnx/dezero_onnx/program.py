"""``Program``: the forward graph an export writes, in the few terms a converter needs.

It is read off the static-graph IR (see :mod:`dezero_onnx.export`): graph inputs, weights (the
parameters and every other array the graph holds), the function calls in order, and each value's
traced shape and dtype. ``varying`` marks, per value, the axes whose size changed when the graph
was traced again with another batch size: the axes that must stay dynamic in the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable

import numpy as np

from dezero_onnx.errors import ExportError

Key = Hashable


@dataclass(frozen=True)
class Call:
    """One function call: its op name, the eager ``Function`` instance, input and output keys."""

    op: str
    fn: Any
    inputs: tuple[Key, ...]
    outputs: tuple[Key, ...]


@dataclass
class Program:
    """A traced forward pass: ``inputs`` and ``outputs`` are value keys, ``weights`` maps a value
    key to ``(name, host array)``, ``specs`` maps every value key to ``(shape, numpy dtype)``."""

    inputs: list[Key]
    outputs: list[Key]
    calls: list[Call]
    weights: dict[Key, tuple[str, np.ndarray]]
    specs: dict[Key, tuple[tuple[int, ...], np.dtype]]
    varying: dict[Key, tuple[bool, ...]] = field(default_factory=dict)

    def mark_varying(self, other: "Program") -> None:
        """Compare with the same program traced at another batch size: record which axes changed."""
        if [c.op for c in self.calls] != [c.op for c in other.calls]:
            raise ExportError("the traced graph changes with the batch size (different functions run); "
                             "export with dynamic_axes={} (a fixed batch size)")
        mine = self._ordered_keys()
        theirs = other._ordered_keys()
        for key, twin in zip(mine, theirs):
            a, b = self.specs[key][0], other.specs[twin][0]
            if len(a) != len(b):
                raise ExportError(f"a value of the traced graph has rank {len(a)} at one batch size and "
                                 f"{len(b)} at another; export with dynamic_axes={{}}")
            self.varying[key] = tuple(m != n for m, n in zip(a, b))

    def _ordered_keys(self) -> list[Key]:
        """Every value key in a stable order: inputs, then each call's inputs and outputs."""
        keys = list(self.inputs)
        for call in self.calls:
            keys += call.inputs + call.outputs
        return keys


def from_graph(graph: Any) -> Program:
    """The :class:`Program` of a static-graph IR ``Graph`` of a forward pass.

    Parameters, state and constants become weights (named after the parameter where it has a name);
    a node other than a function call (a backward, a gradient, an optimizer update, control flow)
    has no place in an inference file and is an error naming it.
    """
    from dezero_core.graph.variable import Variable

    from dezero_onnx.builder import host

    specs: dict[Key, tuple[tuple[int, ...], np.dtype]] = {}
    weights: dict[Key, tuple[str, np.ndarray]] = {}

    def spec(v: Any) -> None:
        if v.shape is None or any(d is None for d in v.shape) or v.dtype is None:
            raise ExportError(f"the traced value {v.describe()} has no concrete shape and dtype; trace with "
                              f"example inputs (arrays), not symbols of unknown shape")
        specs[v.id] = (tuple(int(d) for d in v.shape), np.dtype(v.dtype))

    used: set[str] = set()
    for v in graph.leaves():
        spec(v)
        if v.kind == "input":
            continue
        data = v.source.data if isinstance(v.source, Variable) else v.source
        if data is None:
            raise ExportError(f"the parameter {v.describe()} has no data yet: run the model once first")
        name = _unique(v.name or f"{v.kind}_{v.id}", used)
        weights[v.id] = (name, host(data).astype(specs[v.id][1], copy=False))
    calls = []
    for node in graph.nodes:
        if node.kind != "call":
            raise ExportError(f"the graph holds a {node.op} node: ONNX export writes a forward pass only. "
                              f"Export the model (or a function computing its outputs), not a training step")
        for v in node.outputs:
            spec(v)
        calls.append(Call(node.op, node.fn, tuple(v.id for v in node.inputs), tuple(v.id for v in node.outputs)))
    return Program([v.id for v in graph.inputs], [v.id for v in graph.outputs], calls, weights, specs)


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... if an earlier weight took it."""
    candidate, k = name, 1
    while candidate in used:
        k += 1
        candidate = f"{name}_{k}"
    used.add(candidate)
    return candidate
