"""Fusion passes: several nodes of the IR become one (:mod:`dezero_core.static.passes.fused_ops`).

- :func:`fuse_algebraic`: ``a * b + c`` as one :class:`MulAdd`; ``x @ W + b`` (a ``Linear`` call, or
  a ``MatMul`` followed by the addition of a bias) and a ReLU after it as one :class:`Affine`.
- :func:`fuse_elementwise`: runs of elementwise nodes, forward calls and the backward nodes of
  elementwise functions alike, as one :class:`FusedElementwise`, which the backend computes in one
  kernel where it measures faster (``ArrayBackend.fuse_elementwise``) and a generated function of
  the same steps elsewhere.

Both run after the backward was derived. A forward pair whose backward nodes are in the graph is
fused together with them: the two backward nodes become the fused Function's backward, and the
gradient of the intermediate disappears with the intermediate. An elementwise run keeps as outputs
whatever is read outside it, the forward values a backward node needs included; a backward node in
a run is its Function's backward written out as elementwise steps (``_BACKWARD``).
"""
from __future__ import annotations

from typing import Any, Callable

from dezero_core.functions.activations import ReLU
from dezero_core.functions.affine import Linear
from dezero_core.functions.arithmetic import (
    Add, AddScalar, Div, DivScalar, Mul, MulScalar, Neg, RDivScalar, RSubScalar, Sub,
)
from dezero_core.functions.elementwise import Abs, Cos, Exp, Log, Maximum, Sin, Sqrt, Tanh
from dezero_core.functions.linalg import MatMul
from dezero_core.static.autodiff import touches_none
from dezero_core.static.ir import Graph, Node, Value
from dezero_core.static.passes.fused_ops import Affine, FusedElementwise, MulAdd

FLOAT_DTYPES = ("float16", "float32", "float64")


# -- the graph's structure around one node -----------------------------------------------------------
class _Uses:
    """Who reads each value, and which backward node belongs to each forward call."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.readers = graph.users()
        self.outputs = {v.id for v in graph.outputs}
        self.backward_of = {id(n.fn): n for n in graph.nodes if n.kind == "backward"}
        self.alive = {id(n) for n in graph.nodes}

    def only_read_by(self, value: Value, allowed: list[Node | None]) -> bool:
        """Whether ``value`` is no graph output and every node reading it is one of ``allowed``."""
        if value.id in self.outputs:
            return False
        return all(any(r is a for a in allowed if a is not None) for r in self.readers.get(value.id, []))


def _known(v: Value | None) -> bool:
    return v is not None and v.shape is not None and None not in v.shape


# -- algebraic fusion -------------------------------------------------------------------------------
def fuse_algebraic(graph: Graph) -> Graph:
    """``a * b + c`` as :class:`MulAdd`; ``Linear``/``MatMul`` + bias (+ ReLU) as :class:`Affine`.

    A pair is fused where the intermediate value is read by nothing but the pair and their backward
    nodes, and the shapes say the fused form computes the same (no broadcast of the intermediate).
    """
    uses = _Uses(graph)
    for node in list(graph.nodes):  # a rule looks back from a consumer: MatMul+Add, then +ReLU
        if node.kind == "call" and not node.is_effect and id(node) in uses.alive:
            if any(rule(graph, uses, node) for rule in _RULES):
                uses = _Uses(graph)  # the graph changed: who reads what, anew
    graph.verify()
    return graph


def _producer_sides(add: Node, fn_type: type) -> list[tuple[int, Value, Value, Node]]:
    """For an ``Add`` call: (side, intermediate, other operand, producer) for each operand that a
    ``fn_type`` call produced."""
    if type(add.fn) is not Add:
        return []
    found = []
    for side in (0, 1):
        t, other = add.inputs[side], add.inputs[1 - side]
        producer = t.producer if t is not None and t.kind == "node" else None
        if producer is not None and producer.kind == "call" and type(producer.fn) is fn_type and other is not t:
            found.append((side, t, other, producer))
    return found


def _mul_add(graph: Graph, uses: _Uses, add: Node) -> bool:
    """``Mul(a, b) + c`` where c does not broadcast the product (the addition is made in place)."""
    y = add.outputs[0]
    for side, t, c, mul in _producer_sides(add, Mul):
        if (_known(t) and _known(y) and t.shape == y.shape
                and _pair(graph, uses, mul, add, side, MulAdd(), [*mul.inputs, c],
                          lambda g_mul, g_add: [g_mul[0], g_mul[1], g_add[1 - side]])):
            return True
    return False


def _affine(graph: Graph, uses: _Uses, add: Node) -> bool:
    """``MatMul(x, W) + b`` with x, W of 2 dimensions and b of W's output size."""
    for side, _, b, mm in _producer_sides(add, MatMul):
        x, W = mm.inputs
        if (_known(x) and _known(W) and _known(b) and len(x.shape) == 2 and len(W.shape) == 2
                and b.shape == (W.shape[1],)
                and _pair(graph, uses, mm, add, side, Affine(), [x, W, b],
                          lambda g_mm, g_add: [g_mm[0], g_mm[1], g_add[1 - side]])):
            return True
    return False


def _affine_relu(graph: Graph, uses: _Uses, relu: Node) -> bool:
    """``ReLU(Linear(x, W, b))`` or ``ReLU(Affine(x, W, b))``."""
    if type(relu.fn) is not ReLU:
        return False
    z = relu.inputs[0]
    lin = z.producer if z.kind == "node" else None
    if lin is None or lin.kind != "call" or not (type(lin.fn) is Linear or
                                                 (type(lin.fn) is Affine and lin.fn.activation is None)):
        return False
    return _pair(graph, uses, lin, relu, 0, Affine("relu"), list(lin.inputs), lambda g_lin, g_relu: list(g_lin))


_RULES: list[Callable[[Graph, _Uses, Node], bool]] = [_mul_add, _affine, _affine_relu]


def _pair(graph: Graph, uses: _Uses, first: Node, second: Node, side: int, fused_fn: Any,
          inputs: list[Value | None], grads: Callable[[list, list], list]) -> bool:
    """Replace ``first`` (producing ``second.inputs[side]``) and ``second`` with one call of
    ``fused_fn`` on ``inputs``, and their backward nodes (if any) with one backward of it.

    ``grads(first_grads, second_grads)`` orders the per-input gradient slots (values or None, from
    each backward node's ``needs_grad``) as ``fused_fn``'s inputs. Returns False, changing nothing,
    where the intermediate is read elsewhere or only one of the two has a backward node.
    """
    t = second.inputs[side]
    back1, back2 = uses.backward_of.get(id(first.fn)), uses.backward_of.get(id(second.fn))
    if any(b is not None and touches_none(b) for b in (back1, back2)):
        return False  # a gradient that may be None at run time: its backward node keeps its check
    if back1 is not None and back2 is None:
        return False  # a gradient through first without one through second: not a derived backward
    if back1 is None and back2 is not None and _grad_slots(back2)[side] is not None:
        return False  # a gradient of the intermediate that no backward consumes
    if not uses.only_read_by(t, [second, back1, back2]) or len(first.outputs) != 1:
        return False
    if back2 is not None:
        slots2 = _grad_slots(back2)
        g_t = slots2[side]
        if g_t is not None and not uses.only_read_by(g_t, [back1]):
            return False
    fused = Node("call", fused_fn, inputs, list(second.outputs))
    for v in fused.outputs:
        v.producer = fused
    graph.nodes[graph.nodes.index(second)] = fused
    graph.nodes.remove(first)
    if back2 is not None:
        slots = grads(_grad_slots(back1) if back1 is not None else [None] * len(first.inputs), slots2)
        y = second.outputs[0]
        gy = back2.inputs[back2.attrs["n_in"] + back2.attrs["n_out"]:]
        needs = tuple(g is not None for g in slots)
        fused_fn.needs_grad = needs
        backward = Node("backward", fused_fn, [*inputs, y, *gy], [g for g in slots if g is not None],
                        {**back2.attrs, "n_in": len(inputs), "n_out": 1, "needs_grad": needs})
        for v in backward.outputs:
            v.producer = backward
        last = back1 if back1 is not None else back2
        graph.nodes[graph.nodes.index(last)] = backward
        graph.nodes = [n for n in graph.nodes if n is not back1 and n is not back2 or n is backward]
    return True


def _grad_slots(back: Node) -> list[Value | None]:
    """A backward node's gradient per forward input: its output value, or None where not needed."""
    outputs = iter(back.outputs)
    return [next(outputs) if needed else None for needed in back.attrs["needs_grad"]]


# -- elementwise chains -----------------------------------------------------------------------------
def _scalar(op: str, reverse: bool = False) -> Callable[[Any, list], tuple[str, tuple]]:
    return lambda fn, args: (op, (fn.c, args[0]) if reverse else (args[0], fn.c))


#: Function type -> (fn, operand names) -> (array-API op, operands): each the forward it replaces
_ELEMENTWISE: dict[type, Callable[[Any, list], tuple[str, tuple]]] = {
    Add: lambda fn, a: ("add", tuple(a)), Sub: lambda fn, a: ("subtract", tuple(a)),
    Mul: lambda fn, a: ("multiply", tuple(a)), Div: lambda fn, a: ("divide", tuple(a)),
    Maximum: lambda fn, a: ("maximum", tuple(a)), Neg: lambda fn, a: ("negative", tuple(a)),
    Sin: lambda fn, a: ("sin", tuple(a)), Cos: lambda fn, a: ("cos", tuple(a)),
    Tanh: lambda fn, a: ("tanh", tuple(a)), Exp: lambda fn, a: ("exp", tuple(a)),
    Log: lambda fn, a: ("log", tuple(a)), Sqrt: lambda fn, a: ("sqrt", tuple(a)),
    Abs: lambda fn, a: ("abs", tuple(a)), ReLU: lambda fn, a: ("maximum", (a[0], 0)),
    AddScalar: _scalar("add"), MulScalar: _scalar("multiply"), DivScalar: _scalar("divide"),
    RSubScalar: _scalar("subtract", reverse=True), RDivScalar: _scalar("divide", reverse=True),
}


#: Function type -> its backward as elementwise steps: ``rule(fn, xs, y, gy, needs, emit)`` returns
#: the name of each needed input's gradient (in order); ``emit(op, *args)`` adds a step and returns
#: its result's name. Each is its Function's ``backward`` written out, operation for operation, for
#: inputs of the output's shape (where the ``sum_to`` of a broadcast is the identity)
_BACKWARD: dict[type, Callable[..., list[str]]] = {
    Sin: lambda fn, xs, y, gy, needs, emit: [emit("multiply", gy, emit("cos", xs[0]))],
    Cos: lambda fn, xs, y, gy, needs, emit: [emit("multiply", emit("negative", gy), emit("sin", xs[0]))],
    Tanh: lambda fn, xs, y, gy, needs, emit: [emit("multiply", gy, emit("subtract", 1, emit("multiply", y, y)))],
    Exp: lambda fn, xs, y, gy, needs, emit: [emit("multiply", gy, y)],
    Log: lambda fn, xs, y, gy, needs, emit: [emit("divide", gy, xs[0])],
    Sqrt: lambda fn, xs, y, gy, needs, emit: [emit("divide", gy, emit("multiply", 2, y))],
    Neg: lambda fn, xs, y, gy, needs, emit: [emit("negative", gy)],
    RSubScalar: lambda fn, xs, y, gy, needs, emit: [emit("negative", gy)],
    MulScalar: lambda fn, xs, y, gy, needs, emit: [emit("multiply", gy, fn.c)],
    DivScalar: lambda fn, xs, y, gy, needs, emit: [emit("divide", gy, fn.c)],
    RDivScalar: lambda fn, xs, y, gy, needs, emit: [emit("divide", emit("multiply", emit("negative", gy), y), xs[0])],
    Mul: lambda fn, xs, y, gy, needs, emit: [emit("multiply", gy, other)
                                             for other, needed in zip((xs[1], xs[0]), needs) if needed],
    # the gradient passes through: the same array (a program output that is an input is copied)
    AddScalar: lambda fn, xs, y, gy, needs, emit: [gy],
    Add: lambda fn, xs, y, gy, needs, emit: [gy for needed in needs if needed],
    Sub: lambda fn, xs, y, gy, needs, emit: [g for g, needed in zip((gy, emit("negative", gy)), needs) if needed],
}


def fuse_elementwise(graph: Graph) -> Graph:
    """Each run of two or more connected elementwise nodes as one :class:`FusedElementwise`.

    Elementwise nodes: calls of the functions in ``_ELEMENTWISE`` (stateless forwards: fusing one
    away leaves its backward node nothing to miss) and backward nodes of those in ``_BACKWARD``, each
    with outputs of one fully known shape and float dtype (a backward node's inputs too). A group is
    a run of such nodes of one shape and dtype that follow each other in the graph; whatever the
    group makes that anything else reads comes out of the fused node. A group never spans another
    node: fused at its last node, nodes that lie apart (the sums of a gradient's contributions,
    interleaved with a backward pass) would run later and hold their inputs until then.
    """
    uses = _Uses(graph)
    groups: list[list[Node]] = [[]]
    current_form: Any = None
    for node in graph.nodes:
        form = _elementwise_form(node)
        if form is None or form != current_form:
            groups.append([])
            current_form = form
        if form is not None:
            groups[-1].append(node)
    for group in groups:
        if len(group) >= 2:
            _replace_group(graph, group, uses)
    graph.verify()
    return graph


def _elementwise_form(node: Node) -> tuple | None:
    """``(shape, dtype)`` of an elementwise node (see :func:`fuse_elementwise`), or None."""
    if node.is_effect or not node.outputs or any(v is None for v in node.inputs) or touches_none(node):
        return None  # (a value that may be None at run time is no array to compute on)
    if node.kind == "call" and type(node.fn) in _ELEMENTWISE and len(node.outputs) == 1:
        y = node.outputs[0]
        if _known(y) and y.dtype in FLOAT_DTYPES and all(v.dtype == y.dtype and _known(v) for v in node.inputs):
            return y.shape, y.dtype
        return None
    if node.kind == "backward" and type(node.fn) in _BACKWARD and node.attrs.get("n_out") == 1:
        y = node.outputs[0]
        if (_known(y) and y.dtype in FLOAT_DTYPES
                and all(v.shape == y.shape and v.dtype == y.dtype for v in [*node.inputs, *node.outputs])):
            return y.shape, y.dtype
    return None


def _replace_group(graph: Graph, group: list[Node], uses: _Uses) -> None:
    """One FusedElementwise node, at the group's last node, in place of the group."""
    members = {id(n) for n in group}
    names: dict[int, str] = {}  # value id -> its name in the program
    external: list[Value] = []
    steps: list[tuple[str, str, tuple]] = []

    def name(v: Value) -> str:
        if v.id not in names:
            names[v.id] = f"x{len(external)}"
            external.append(v)
        return names[v.id]

    def emit(op: str, *args: Any) -> str:
        result = f"t{len(steps)}"
        steps.append((result, op, args))
        return result

    for n in group:
        if n.kind == "call":
            op, operands = _ELEMENTWISE[type(n.fn)](n.fn, [name(v) for v in n.inputs])
            names[n.outputs[0].id] = emit(op, *operands)
        else:
            n_in = n.attrs["n_in"]
            xs = [name(v) for v in n.inputs[:n_in]]
            y, gy = name(n.inputs[n_in]), name(n.inputs[n_in + 1])
            grads = _BACKWARD[type(n.fn)](n.fn, xs, y, gy, n.attrs["needs_grad"], emit)
            for v, g in zip(n.outputs, grads):
                names[v.id] = g
    outputs = [v for n in group for v in n.outputs
               if v.id in uses.outputs or any(id(r) not in members for r in uses.readers.get(v.id, []))]
    inputs = {names[v.id] for v in external}
    for v in outputs:  # an output that is an input would alias it: fused outputs are fresh arrays
        if names[v.id] in inputs:
            names[v.id] = emit("multiply", names[v.id], 1)
    fn = FusedElementwise(tuple(names[v.id] for v in external), tuple(steps),
                          tuple(names[v.id] for v in outputs), group[-1].outputs[0].dtype)
    fused = Node("call", fn, external, outputs, {"fused": [n.op for n in group]})
    for index, v in enumerate(outputs):
        v.producer, v.index = fused, index
    graph.nodes[graph.nodes.index(group[-1])] = fused
    graph.nodes = [n for n in graph.nodes if id(n) not in members or n is fused]
