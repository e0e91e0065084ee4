"""Replay: a graph compiled into one generated Python function, one line or two per node.

Every value of the graph has a slot in one list, ``s``; each node becomes a line calling its
Function's ``forward``/``backward`` on arrays (no Variable, no Function object is created), its bound
method held by the function's globals (``f12``), and storing the results in their slots. On small
arrays the Python around each call costs as much as the call: a generated straight-line function
pays one call per node, where a loop over one closure per node paid two calls and a loop step.

The values live in a list rather than in the function's local variables: a frame with thousands of
locals may end right at the end of CPython's current block of frame memory, and then every call the
replay makes allocates and frees a block of its own (an LSTM window, ~2500 calls, ran 2x slower at
some call depths).

The source holds only names made here from node indices (``s[3]``, ``f7``, ``n7``): never a string
from the graph, so a loaded graph cannot inject code. The memory plan of
:mod:`dezero_core.static.ir` is honoured: ``out`` buffers, ``inplace``, ``free_after`` (the slot is
set to None). Effect nodes (``set_grad``, ``update``) run as steps over the slot list (``Step``), the
contract :meth:`Executor._set_grad_step` and :meth:`Executor._update_step` keep.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from dezero_core.static.ir import Graph, Node, Value
from dezero_core.static.passes.fused_ops import takes_out
from dezero_core.static.symbolic import reads_at_run

#: an effect node's step: reads (and writes) the values it touches in a list indexed by slot
Step = Callable[[list], None]


class Executor:
    """Runs ``graph`` on one backend: ``run(input arrays) -> output arrays``."""

    def __init__(self, graph: Graph, backend: Any) -> None:
        self.graph = graph
        self.backend = backend
        self.ops = backend.ops
        xp = backend.xp
        self.buffers = [xp.empty(b.shape, dtype=getattr(xp, b.dtype)) for b in graph.buffers]
        self.array_type = type(xp.empty((0,)))
        self.slot: dict[int, int] = {}  # value id -> slot (slot 0: None, a missing gradient)
        for v in [*graph.leaves(), *(v for node in graph.nodes for v in node.outputs)]:
            self.slot[v.id] = len(self.slot) + 1
        self._backward_count: dict[int, int] = {}
        for node in graph.nodes:
            if node.kind == "backward":
                self._backward_count[id(node.fn)] = self._backward_count.get(id(node.fn), 0) + 1
        self.source, namespace = _Generator(self).generate()
        # the source is built from indices only (see the module docstring)
        exec(compile(self.source, "<dezero_core replay>", "exec"), namespace)  # noqa: S102
        self._replay: Callable[[Sequence[Any]], list[Any]] = namespace["replay"]

    def _s(self, v: Value | None) -> int:
        return 0 if v is None else self.slot[v.id]

    def run(self, inputs: Sequence[Any]) -> list[Any]:
        """Run every node once with ``inputs`` (arrays, in ``graph.inputs`` order); the output arrays."""
        if len(inputs) != len(self.graph.inputs):
            raise TypeError(f"the graph takes {len(self.graph.inputs)} input arrays "
                            f"({', '.join(repr(v) for v in self.graph.inputs)}), got {len(inputs)}")
        return self._replay(inputs)

    # -- effect nodes: steps over a list of slots ------------------------------------------------------
    def _set_grad_step(self, node: Node) -> Step:
        holder, g = node.fn, self._s(node.inputs[0])
        if node.attrs.get("update_in_backward"):  # the memory plan's in-backward update (see static.update)
            from dezero_core.static.update import backward_updates

            return backward_updates(self).set_grad_step(node, g)

        def step(s: list) -> None:
            holder._grad = s[g]
        return step

    def _update_step(self, node: Node) -> Step:
        if node.attrs.get("update_in_backward"):
            from dezero_core.static.update import backward_updates

            return backward_updates(self).update_step()
        update = node.fn.update

        def step(s: list) -> None:
            update()
        return step


class _Generator:
    """The source of ``replay(inputs)`` for an executor's graph, and the globals it reads."""

    def __init__(self, ex: Executor) -> None:
        self.ex = ex
        self.namespace: dict[str, Any] = {"ops": ex.ops, "AT": ex.array_type, "asarray": ex.backend.asarray}
        self.lines: list[str] = []

    def name(self, v: Value | None) -> str:
        """The slot holding ``v`` (``None`` for a missing value)."""
        return "None" if v is None else f"s[{self.ex.slot[v.id]}]"

    def bind(self, prefix: str, k: int, obj: Any) -> str:
        """A global of the generated function holding ``obj``."""
        name = f"{prefix}{k}"
        self.namespace[name] = obj
        return name

    def generate(self) -> tuple[str, dict[str, Any]]:
        graph, ex = self.ex.graph, self.ex
        template: list[Any] = [None] * (len(ex.slot) + 1)
        params = {v.id for v in graph.params if reads_at_run(v.source)}
        for v in [*graph.params, *graph.consts]:
            if v.kind == "const" or (v.kind == "state" and not reads_at_run(v.source)):
                # constants, and arrays held by reference (the same object at every run)
                template[ex.slot[v.id]] = v.source
        self.lines.append(f"s = {self.bind('template', 0, template)}.copy()")
        for k, v in enumerate(graph.inputs):
            self.lines.append(f"{self.name(v)} = inputs[{k}]")
        for v in graph.params:
            if v.id in params:
                # parameters (Variables) by reference: in-place updates and new arrays are seen
                self.lines.append(f"{self.name(v)} = {self.bind('p', ex.slot[v.id], v.source)}.data")
        for k, node in enumerate(graph.nodes):
            if node.kind == "call":
                self.call(k, node)
            elif node.kind == "backward" and node.attrs.get("skip_if_none"):
                self.skipped_when_no_grad(k, node)
            elif node.kind == "backward":
                self.backward(k, node)
            else:
                self.effect(k, node)
            for v in node.free_after:  # the memory plan: dropped after the node
                self.lines.append(f"{self.name(v)} = None")
        self.lines.append("return [" + ", ".join(self.name(v) for v in graph.outputs) + "]")
        source = "def replay(inputs):\n" + "".join(f"    {line}\n" for line in self.lines)
        return source, self.namespace

    def checked(self, target: str, value: str) -> None:
        """``target = value``, made an array of the backend's type where it is not one (a 0-d
        result of numpy is a scalar); None stays None (a sum of gradients none of which flowed).

        No temporary holds the value afterwards (nor does ``t`` or ``g`` once read): the memory
        plan frees a value by clearing its slot, and a local still holding it kept e.g. a weight's
        gradient alive until the next node of its kind (MLP 784-1000-1000-10: peak 5.2 -> 8.0 MB)."""
        self.lines.append(f"{target} = {value}")
        self.lines.append(f"if {target}.__class__ is not AT and {target} is not None: {target} = asarray({target})")

    def call(self, k: int, node: Node) -> None:
        """``fn.forward(ops, *inputs)``, into a buffer or over the first input where the plan says."""
        if self.kernel_call(k, node):
            return
        fwd = self.bind("f", k, node.fn.forward)
        args = ", ".join(["ops", *(self.name(v) for v in node.inputs)])
        outs = [self.name(v) for v in node.outputs]
        if node.inplace:
            self.lines.append(f"{outs[0]} = {fwd}({args}, out={self.name(node.inputs[0])})")
        elif node.out and node.out[0] is not None:
            buffer = self.bind("buf", k, self.ex.buffers[node.out[0]])
            self.lines.append(f"{outs[0]} = {fwd}({args}, out={buffer})")
        elif len(outs) == 1:
            self.checked(outs[0], f"{fwd}({args})")
        else:
            self.unpacked(f"{fwd}({args})", outs)

    def unpacked(self, call: str, outs: list[str]) -> None:
        """The outputs of ``call`` (a tuple), each checked, into ``outs``."""
        self.lines.append(f"t = {call}")
        for i, o in enumerate(outs):
            self.checked(o, f"t[{i}]")
        self.lines.append("t = None")

    def kernel_call(self, k: int, node: Node) -> bool:
        """A call of the kernel a Function makes for its inputs' shapes (``fn.kernel_for(ops,
        shapes)``, a fused node's), bound once here where every shape is known: the forward would
        look it up at every call. False where that does not apply."""
        kernel_for = getattr(node.fn, "kernel_for", None)
        if kernel_for is None or any(v is None or v.shape is None or None in v.shape for v in node.inputs):
            return False
        kernel = self.bind("kern", k, kernel_for(self.ex.ops, tuple(tuple(v.shape) for v in node.inputs)))
        args = ", ".join(self.name(v) for v in node.inputs)
        outs = [self.name(v) for v in node.outputs]
        target = self.name(node.inputs[0]) if node.inplace else (
            self.bind("buf", k, self.ex.buffers[node.out[0]]) if node.out and node.out[0] is not None else None)
        if target is not None and takes_out(self.ex.ops):
            self.lines.append(f"{outs[0]}, = {kernel}({args}, out=({target},))")
            return True
        self.unpacked(f"{kernel}({args})", outs)
        return True

    def backward(self, k: int, node: Node) -> None:
        """``fn.backward(ops, xs, y, gy)`` as eager's engine calls it; the needed gradients picked."""
        fn = node.fn
        n_in, n_out = node.attrs["n_in"], node.attrs["n_out"]
        needs = tuple(node.attrs["needs_grad"])
        # the Function's backward reads needs_grad from its instance: set it once when this node is its
        # only backward (the usual case), else before every call
        if self.ex._backward_count.get(id(fn), 0) > 1:
            self.lines.append(f"{self.bind('fn', k, fn)}.needs_grad = {self.bind('n', k, needs)}")
        else:
            fn.needs_grad = needs
        names = [self.name(v) for v in node.inputs]
        xs, ys, gys = names[:n_in], names[n_in:n_in + n_out], names[n_in + n_out:]
        y = ys[0] if n_out == 1 else _tuple(ys)
        gy = gys[0] if n_out == 1 else _tuple(gys)
        call = f"{self.bind('b', k, fn.backward)}(ops, {_tuple(xs)}, {y}, {gy})"
        picks = [i for i, n in enumerate(needs) if n]
        if len(picks) == 1:
            out = self.name(node.outputs[0])
            self.lines.append(f"{out} = {call}")
            self.lines.append(f"if {out}.__class__ is tuple: {out} = {out}[{picks[0]}]")
            return
        self.lines.append(f"g = {call}")
        self.lines.append("if g.__class__ is not tuple: g = (g,)")
        for pos, v in zip(picks, node.outputs):
            self.lines.append(f"{self.name(v)} = g[{pos}]")
        self.lines.append("g = None")

    def skipped_when_no_grad(self, k: int, node: Node) -> None:
        """A backward node whose incoming gradients may all be None when the graph runs (past a
        ``dz.cond`` branch that ignores an operand): where they are, its gradients are None and its
        Function's backward is not called, as eager's engine never reaches it. Only such nodes
        carry the check (``attrs["skip_if_none"]``)."""
        gys = [self.name(v) for v in node.inputs[node.attrs["n_in"] + node.attrs["n_out"]:] if v is not None]
        outs = [self.name(v) for v in node.outputs]
        lines, self.lines = self.lines, []
        self.backward(k, node)
        body, self.lines = self.lines, lines
        self.lines.append("if " + " and ".join(f"{g} is None" for g in gys) + ":")
        self.lines.append("    " + " = ".join([*outs, "None"]))
        self.lines.append("else:")
        self.lines.extend("    " + line for line in body)

    def effect(self, k: int, node: Node) -> None:
        """A ``set_grad``/``update`` node: its step, over the slot list."""
        if node.kind == "set_grad":
            step = self.ex._set_grad_step(node)
        elif node.kind == "update":
            step = self.ex._update_step(node)
        else:
            raise ValueError(f"the executor cannot run a {node.kind!r} node ({node.op})")
        self.lines.append(f"{self.bind('step', k, step)}(s)")


def _tuple(names: list[str]) -> str:
    """A tuple display of ``names`` (``(a,)`` for one)."""
    return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
