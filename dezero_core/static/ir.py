"""The Define-and-Run IR: a static graph of the same Functions eager mode runs.

A :class:`Graph` is a list of :class:`Node` in an order where every node comes after the nodes
whose outputs it reads, over :class:`Value` objects (each value is produced once: SSA). It prints as
readable pseudo-code (``str(graph)``) and a pass is a plain function ``Graph -> Graph``.

Values (``Value.kind``):

- ``"input"``: a named argument of the compiled function, in call order (``Graph.inputs``);
- ``"param"``: a :class:`~dezero_core.Parameter`, read by reference (``value.source.data``) at the
  start of every run, so in-place optimizer updates and ``load_weights`` are seen (``Graph.params``);
- ``"state"``: any other array or Variable that entered the graph from outside, read by reference
  at every run like a parameter: never folded (a prototype that froze such arrays replayed
  silently wrong results);
- ``"const"``: a Python scalar or an array given with ``dz.constant``: fixed, may be folded;
- ``"node"``: output ``index`` of node ``producer``.

Nodes (``Node.kind``):

- ``"call"``: ``fn.forward(xp, *inputs)`` of a :class:`~dezero_core.Function` instance ``fn`` (its
  attributes are the op's attributes); outputs are the forward's outputs;
- ``"backward"``: ``fn.backward(xp, xs, ys, gys)`` of the forward node's ``fn``; ``inputs`` is
  ``xs + ys + gys`` (``attrs["n_in"]`` xs and ``attrs["n_out"]`` ys; a gy is None where that output
  gets no gradient); ``attrs["needs_grad"]`` says which xs get a gradient, and ``outputs`` holds one
  value per True entry, in order;
- ``"set_grad"``: an effect: ``fn`` is a Parameter (or another Variable) whose ``grad`` becomes
  ``inputs[0]``;
- ``"update"``: an effect: ``fn`` is an Optimizer whose ``update()`` runs on the gradients the
  ``set_grad`` nodes before it wrote (``inputs`` lists those gradients: they stay alive until then);

Control flow (``dz.cond``, ``dz.while_loop``) is a ``call`` node of a
:class:`~dezero_core.static.control.Cond` or :class:`~dezero_core.static.control.WhileLoop`, whose
attributes hold the branches' own graphs (``fn.true_branch.forward_graph``...).

Passes never reorder effect nodes (``set_grad``, ``update``, impure calls) relative to each other,
and never drop, merge or fold an effect node.

Memory plan (set by a memory-planning pass; the executor honours them, and without them every
output is a fresh array kept until the end of the run):

- ``Node.out``: per output, the index of a persistent buffer in ``Graph.buffers`` (reused across
  runs) the output is written into, or None. A node with a buffer is called as
  ``fn.forward(xp, *inputs, out=buffer)``, so the pass sets it only where ``fn`` takes ``out=``;
- ``Node.inplace``: the output is written over ``inputs[0]`` (``fn.forward(xp, *inputs, out=inputs[0])``);
- ``Node.free_after``: values whose arrays the executor drops right after this node.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator

VALUE_KINDS = ("input", "param", "state", "const", "node")
NODE_KINDS = ("call", "backward", "set_grad", "update")
EFFECT_KINDS = ("set_grad", "update")

#: attributes of a Function instance that are eager bookkeeping, not the op's attributes
BOOKKEEPING_ATTRS = frozenset({"inputs", "outputs", "generation", "needs_grad"})

_ids = itertools.count()


@dataclass(eq=False)
class Value:
    """One array of the graph (see the module docstring for ``kind``).

    ``shape`` is a tuple (None where a dimension is unknown) or None when nothing is known; ``dtype``
    is a dtype name (``"float32"``) or None. ``source`` is the Parameter/array/Variable a ``param``
    or ``state`` value reads, or the scalar/array of a ``const``.
    """

    kind: str
    name: str = ""
    shape: tuple[int | None, ...] | None = None
    dtype: str | None = None
    requires_grad: bool = False
    producer: "Node | None" = None
    index: int = 0
    source: Any = None
    id: int = field(default_factory=lambda: next(_ids))

    def __repr__(self) -> str:
        return f"%{self.name or self.id}"

    def describe(self) -> str:
        """``name: kind shape dtype`` (``?`` for what is unknown)."""
        shape = "?" if self.shape is None else "(" + ", ".join("?" if d is None else str(d)
                                                              for d in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        return f"{self!r}: {self.kind} {shape} {self.dtype or '?'}"


@dataclass(eq=False)
class Node:
    """One operation (see the module docstring for ``kind``, ``attrs`` and the memory plan)."""

    kind: str
    fn: Any
    inputs: list["Value | None"]
    outputs: list[Value] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    # -- memory plan ------------------------------------------------------------------------------
    out: list[int | None] = field(default_factory=list)
    inplace: bool = False
    free_after: list[Value] = field(default_factory=list)

    @property
    def op(self) -> str:
        """A short, stable op name: the Function's class name (``Add``), ``backward:Add``,
        ``set_grad``, ``update:Adam``."""
        if self.kind == "call":
            return function_name(self.fn)
        if self.kind == "backward":
            return "backward:" + function_name(self.fn)
        if self.kind == "update":
            return "update:" + type(self.fn).__name__
        return self.kind

    @property
    def target(self) -> str:
        """``module:qualname`` of ``fn``'s class (how a saved graph finds it again)."""
        cls = type(self.fn)
        return f"{cls.__module__}:{cls.__qualname__}"

    @property
    def is_effect(self) -> bool:
        """True for nodes a pass must keep and keep in order: writes outside the graph, random draws,
        in-place state updates (``Function.impure``)."""
        if self.kind in EFFECT_KINDS:
            return True
        if self.kind == "call":
            return bool(getattr(self.fn, "impure", False)) or bool(self.attrs.get("impure", False))
        return False

    def function_attrs(self) -> dict[str, Any]:
        """The op's attributes: ``fn``'s instance attributes minus eager bookkeeping."""
        return function_attrs(self.fn)

    def __repr__(self) -> str:
        return f"<Node {self.op} {self.inputs} -> {self.outputs}>"


@dataclass
class Buffer:
    """A persistent array the memory plan writes outputs into (allocated once per backend)."""

    shape: tuple[int, ...]
    dtype: str


@dataclass(eq=False)
class Graph:
    """A static graph: arguments, parameters/state read by reference, constants, nodes, outputs."""

    inputs: list[Value] = field(default_factory=list)
    params: list[Value] = field(default_factory=list)
    consts: list[Value] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)
    buffers: list[Buffer] = field(default_factory=list)
    #: how the outputs go back to the caller: "single" (one Variable), "tuple", "none" or a tree
    #: description the tracer understands
    output_structure: Any = "single"

    # -- reading --------------------------------------------------------------------------------
    def leaves(self) -> list[Value]:
        """Every value not produced by a node: inputs, params, then consts."""
        return [*self.inputs, *self.params, *self.consts]

    def users(self) -> dict[int, list[Node]]:
        """``value.id -> nodes that read it``, in graph order."""
        users: dict[int, list[Node]] = {}
        for node in self.nodes:
            for v in node.inputs:
                if v is not None:
                    users.setdefault(v.id, []).append(node)
        return users

    def find(self, op: str) -> list[Node]:
        """The nodes whose :attr:`Node.op` is ``op``."""
        return [n for n in self.nodes if n.op == op]

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    # -- editing (for passes) -----------------------------------------------------------------
    def replace_uses(self, old: Value, new: Value) -> None:
        """Make every reader of ``old`` (nodes and the outputs) read ``new`` instead."""
        for node in self.nodes:
            node.inputs = [new if v is old else v for v in node.inputs]
            node.free_after = [v for v in node.free_after if v is not old]
        self.outputs = [new if v is old else v for v in self.outputs]

    def verify(self) -> None:
        """Raise ValueError if a node reads a value that is neither a leaf nor produced before it,
        or a value is produced twice."""
        known = {v.id for v in self.leaves()}
        for node in self.nodes:
            for v in node.inputs:
                if v is not None and v.id not in known:
                    raise ValueError(f"graph: {node.op} reads {v!r}, which no earlier node produces")
            for v in node.outputs:
                if v.id in known:
                    raise ValueError(f"graph: {v!r} is produced twice (again by {node.op})")
                known.add(v.id)
        for v in self.outputs:
            if v.id not in known:
                raise ValueError(f"graph: output {v!r} is produced by no node")

    def copy(self) -> "Graph":
        """A shallow copy with its own node list and nodes (values and functions are shared)."""
        nodes = [Node(n.kind, n.fn, list(n.inputs), list(n.outputs), dict(n.attrs), list(n.out), n.inplace,
                      list(n.free_after)) for n in self.nodes]
        for node in nodes:
            for v in node.outputs:
                v.producer = node
        return Graph(list(self.inputs), list(self.params), list(self.consts), nodes, list(self.outputs),
                     list(self.buffers), self.output_structure)

    # -- printing -------------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = ["graph(" + ", ".join(v.describe() for v in self.inputs) + "):"]
        lines += [f"  {v.describe()}" for v in self.params]
        lines += [f"  {v!r}: const {_short(v.source)}" for v in self.consts]
        lines += ["  " + format_node(n) for n in self.nodes]
        lines.append("  return " + ", ".join(repr(v) for v in self.outputs))
        return "\n".join(lines)

    def to_dot(self) -> str:
        """Graphviz DOT text: values as orange ellipses, nodes as blue boxes (as eager graph plots)."""
        from dezero_core.graphviz import _quote

        parts = []
        for v in self.leaves():
            parts.append(f"v{v.id} [label={_quote(v.describe())}, color=orange, style=filled]\n")
        for i, node in enumerate(self.nodes):
            color = "lightblue" if node.kind == "call" else "lightgrey"
            parts.append(f"n{i} [label={_quote(node.op)}, color={color}, style=filled, shape=box]\n")
            for v in node.inputs:
                if v is not None:
                    parts.append(f"v{v.id} -> n{i}\n")
            for v in node.outputs:
                parts.append(f"v{v.id} [label={_quote(v.describe())}, color=orange, style=filled]\n")
                parts.append(f"n{i} -> v{v.id}\n")
        return "digraph g {\n" + "".join(parts) + "}\n"

    def plot(self, to_file: str = "graph.png") -> str:
        """Draw the graph into ``to_file`` (``.dot`` text, or any format Graphviz's ``dot`` renders)."""
        from dezero_core.graphviz import render_dot

        return render_dot(self.to_dot(), to_file)


def function_name(fn: Any) -> str:
    """The op name of a Function instance: its class name."""
    return type(fn).__name__


def function_attrs(fn: Any) -> dict[str, Any]:
    """A Function instance's attributes (``vars(fn)``) without eager bookkeeping."""
    attrs = getattr(fn, "__dict__", {})
    return {k: v for k, v in attrs.items() if k not in BOOKKEEPING_ATTRS}


def format_node(node: Node) -> str:
    """One line of :meth:`Graph.__str__`: ``%v3, = Add(%a, %b)  [attrs]  # memory plan``."""
    outs = ", ".join(repr(v) for v in node.outputs)
    args = ", ".join("_" if v is None else repr(v) for v in node.inputs)
    if node.kind == "set_grad":
        head = f"{_holder_name(node)}.grad <- {args}"
    elif node.kind == "update":
        head = f"{node.op}({args})"
    else:
        head = f"{outs + ' = ' if outs else ''}{node.op}({args})"
    shown = function_attrs(node.fn) if node.kind == "call" else node.attrs if node.kind == "backward" else {}
    attrs = {k: v for k, v in shown.items() if _printable(v)}
    text = head + (" [" + ", ".join(f"{k}={_short(v)}" for k, v in attrs.items()) + "]" if attrs else "")
    plan = []
    if node.out and any(b is not None for b in node.out):
        plan.append("out=" + ",".join("-" if b is None else f"buf{b}" for b in node.out))
    if node.inplace:
        plan.append("inplace")
    if node.free_after:
        plan.append("free " + ",".join(repr(v) for v in node.free_after))
    return text + ("  # " + "; ".join(plan) if plan else "")


def _holder_name(node: Node) -> str:
    return node.attrs.get("name") or getattr(node.fn, "name", None) or "param"


def _printable(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str)) or (
        isinstance(v, tuple) and all(isinstance(x, (int, float, type(None))) for x in v))


def _short(v: Any) -> str:
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return f"array{tuple(v.shape)} {v.dtype}"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."

