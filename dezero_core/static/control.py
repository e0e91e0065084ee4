"""Data-dependent control flow in static graphs: ``dz.cond`` and ``dz.while_loop``, both differentiable.

Each is one Function (:class:`Cond`, :class:`WhileLoop`) whose attributes hold its branches as
compiled graphs (:class:`Branch`: a forward graph and the graph of its vector-Jacobian product, both
derived when the control flow is defined). In a graph it is one ``call`` node like any other:
passes leave its inside alone, the executor calls its ``forward``, and the gradient comes from its
``backward``, which runs the gradient graph of the branch taken (for a loop: of every iteration, last
first). On concrete values (no symbol among the arguments) both run as plain Python, eagerly.
Comparisons of symbols (``x > 0``) are the comparison functions (``F.greater``...), to serve as
predicates.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.static.ir import Graph, Value
from dezero_core.static.symbolic import Symbol, SymbolValueError, describe, dtype_name, make_symbol


def _install_comparisons() -> None:
    """Symbol's ``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``: the comparison functions, recorded as
    their nodes (one op for one thing, whichever way it is written)."""
    from dezero_core.functions import discrete

    for name, fn in [("lt", discrete.less), ("le", discrete.less_equal), ("gt", discrete.greater),
                     ("ge", discrete.greater_equal), ("eq", discrete.equal), ("ne", discrete.not_equal)]:
        def compare(self: Symbol, other: Any, fn: Callable = fn) -> Any:
            return fn(self, other)
        compare.__name__ = f"__{name}__"
        setattr(Symbol, f"__{name}__", compare)
    Symbol.__hash__ = Variable.__hash__  # type: ignore[method-assign]


class Branch:
    """A Python function of ``n`` arrays as a forward graph and the graph of its vector-Jacobian
    product, traced on ``examples``. Parameters the function uses inside are *captured*: the control
    flow node takes them as extra inputs (after the ``n``), so their gradients leave the branch."""

    def __init__(self, fn: Callable, examples: Sequence[Any], requires_grad: Sequence[bool], what: str) -> None:
        from dezero_core.static.build import build_graph

        self.what = what
        self.inputs = [_input(f"a{i}", e, rg) for i, (e, rg) in enumerate(zip(examples, requires_grad))]
        outputs = fn(*self.inputs)
        outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
        for k, o in enumerate(outputs):
            if not isinstance(o, Symbol):
                raise TypeError(f"{what} returned {type(o).__name__} as output {k}: return the results of "
                                f"functions of its arguments (Variables), computed in the graph")
        self.outputs = outputs
        own = {s.data.value.id for s in self.inputs}
        for v in (v for n in _record_nodes(outputs) for v in n.inputs):
            if v is not None and v.kind == "input" and v.id not in own:
                raise TypeError(f"{what} reads {describe(v)} from outside its arguments: a branch sees only "
                                f"what it is given; pass it in (an operand of dz.cond, a value of "
                                f"dz.while_loop's init)")
        self.out_shapes = [(tuple(o.shape), dtype_name(o.dtype)) for o in outputs]
        self.forward_graph: Graph = build_graph([o.data.value for o in outputs],
                                                inputs=[s.data.value for s in self.inputs])
        self.captured = [v.source for v in self.forward_graph.params
                         if isinstance(v.source, Variable) and v.requires_grad]
        self._executors: dict[tuple[int, int], Any] = {}

    #: what running a branch needs (a saved graph keeps these; a loop's condition has no backward);
    #: the symbols it was traced on and the captured Variables only serve while it is defined
    RUN_STATE = ("what", "out_shapes", "forward_graph", "backward_graph", "grad_positions", "n_grads")

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k in self.RUN_STATE}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.inputs, self.outputs, self.captured = [], [], []
        self._executors = {}

    def derive_backward(self, captured: Sequence[Variable]) -> None:
        """The vector-Jacobian product's graph: gradients of the inputs, then of ``captured``."""
        from dezero_core.static.autodiff import Gradients
        from dezero_core.static.build import build_graph

        gys = [_input(f"g{k}", _zeros_like(o), False) for k, o in enumerate(self.outputs)]
        g = Gradients()
        total: dict[int, Value] = {}
        for o, gy in zip(self.outputs, gys):
            v, seed = o.data.value, gy.data.value
            found = {v.id: seed} if v.producer is None else g.grads(v, seed)
            for vid, gv in found.items():
                total[vid] = gv if vid not in total else g.add(total[vid], gv)
        # the value of each captured Variable in this branch's record, to look its gradient up
        leaf_of = {id(v.source): v for n in _record_nodes(self.outputs) for v in n.inputs
                   if v is not None and v.kind in ("param", "state")}
        wanted = [s.data.value for s in self.inputs] + [leaf_of.get(id(c)) for c in captured]
        self.grad_positions = [i for i, v in enumerate(wanted) if v is not None and v.id in total]
        grads = [total[wanted[i].id] for i in self.grad_positions]
        self.backward_graph: Graph = build_graph(grads, inputs=[s.data.value for s in self.inputs]
                                                 + [s.data.value for s in gys])
        self.n_grads = len(wanted)

    def _run(self, graph: Graph, arrays: Sequence[Any]) -> list[Any]:
        from dezero_core.backend.selection import backend_of
        from dezero_core.static.executor import Executor

        backend = backend_of(arrays[0])
        key = (id(graph), id(backend))
        ex = self._executors.get(key)
        if ex is None:
            ex = self._executors[key] = Executor(graph, backend)
        return ex.run(arrays)

    def forward(self, arrays: Sequence[Any]) -> list[Any]:
        """The outputs for input ``arrays``."""
        return self._run(self.forward_graph, arrays)

    def vjp(self, xp: Any, arrays: Sequence[Any], gys: Sequence[Any], ys: Sequence[Any]) -> list[Any]:
        """Gradients of the inputs, then of the captured parameters (None where no gradient flows),
        from the outputs' gradients."""
        gys = [xp.zeros_like(y) if g is None else g for g, y in zip(gys, ys)]
        found = self._run(self.backward_graph, [*arrays, *gys])
        grads: list[Any] = [None] * self.n_grads
        for i, g in zip(self.grad_positions, found):
            grads[i] = g
        return grads


def _record_nodes(outputs: Sequence[Symbol]) -> list[Any]:
    """Every recorded node behind ``outputs``."""
    seen: dict[int, Any] = {}
    stack = [o.data.value.producer for o in outputs if o.data.value.producer is not None]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(v.producer for v in node.inputs if v is not None and v.producer is not None)
    return list(seen.values())


def _captured(*branches: Branch) -> list[Variable]:
    """The parameters any of ``branches`` uses, once each, and each branch's backward for them."""
    captured: list[Variable] = []
    for b in branches:
        captured += [c for c in b.captured if all(c is not k for k in captured)]
    for b in branches:
        b.derive_backward(captured)
    return captured


def _input(name: str, example: Any, requires_grad: bool) -> Symbol:
    v = Value("input", name, tuple(example.shape), dtype_name(example.dtype), requires_grad=requires_grad)
    v._example = example  # type: ignore[attr-defined]
    return make_symbol(v, example)


def _zeros_like(s: Symbol) -> Any:
    from dezero_core.backend.selection import backend_of

    example = s.data.trace_example
    return backend_of(example).xp.zeros_like(example)


def _no_higher_order(xp: Any, name: str) -> None:
    if not hasattr(xp, "backend") or getattr(xp.backend, "ops", None) is not xp:
        raise NotImplementedError(f"{name}: gradients of gradients through control flow are not supported")


class Cond(Function):
    """``true_branch(*xs)`` if ``pred`` else ``false_branch(*xs)``; the gradient flows through the
    branch taken (``_taken`` remembers it between forward and backward).

    An operand or captured parameter gets a gradient only from the branch taken (None otherwise, as
    in eager mode): where only one branch differentiates it, that is decided when the graph runs
    (``grad_decided_at_run``). A None gradient stays None on past it: the backward nodes behind an
    operand the branch taken ignores are skipped in that run, so the layers that made it keep no
    gradient, and an optimizer (Adam, MomentumSGD) leaves them alone, as eager does.

    Not covered: a cond of several outputs, some of which get no gradient, differentiates its
    branch with zeros for those (so layers inside or before it may get zeros where eager gets
    None)."""

    def __init__(self, true_branch: Branch, false_branch: Branch, n_operands: int) -> None:
        self.true_branch = true_branch
        self.false_branch = false_branch
        self.n_operands = n_operands  # the inputs after them are the captured parameters
        self.n_outputs = len(true_branch.out_shapes)

    def forward(self, xp: Any, pred: Any, *xs: Any) -> Any:
        self._taken = bool(pred)
        ys = (self.true_branch if self._taken else self.false_branch).forward(xs[:self.n_operands])
        return tuple(ys) if len(ys) > 1 else ys[0]

    def backward(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        _no_higher_order(xp, "cond")
        ys, gys = (y, gy) if isinstance(y, tuple) else ((y,), (gy,))
        branch = self.true_branch if self._taken else self.false_branch
        operands = xs[1:1 + self.n_operands]
        return (None, *branch.vjp(xp, operands, gys, ys))

    def grad_decided_at_run(self, i: int) -> bool:
        """Whether input ``i`` (an operand or a captured parameter) gets a gradient depends on the
        branch taken: it does unless both branches differentiate it."""
        return i > 0 and not (i - 1 in self.true_branch.grad_positions and i - 1 in self.false_branch.grad_positions)


class WhileLoop(Function):
    """``while cond(*vals): vals = body(*vals)``; the gradient flows back through every iteration
    (``_states`` keeps each iteration's inputs between forward and backward). A captured parameter
    gets none from a run that made no iteration, nor does a value whose result gets none
    (``grad_decided_at_run``): as in eager mode, where the loop is the identity then.

    Not covered: within iterations, the body is differentiated with zeros for results that get no
    gradient, so a value only those depend on gets zeros where eager gets None."""

    def __init__(self, cond: Branch, body: Branch, n_vals: int) -> None:
        self.cond = cond
        self.body = body
        self.n_vals = n_vals  # the inputs after them are the captured parameters
        self.n_outputs = len(body.out_shapes)

    def forward(self, xp: Any, *vals: Any) -> Any:
        states = [list(vals[:self.n_vals])]
        while bool(self.cond.forward(states[-1])[0]):
            states.append(self.body.forward(states[-1]))
        self._states = states
        out = states[-1]
        return tuple(out) if len(out) > 1 else out[0]

    def backward(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        _no_higher_order(xp, "while_loop")
        ys, gys = (y, gy) if isinstance(y, tuple) else ((y,), (gy,))
        gs = list(gys)  # None where no gradient reaches a result: with no iteration, the value gets none
        captured: list[Any] = [None] * (len(xs) - self.n_vals)
        for inputs, outputs in zip(reversed(self._states[:-1]), reversed(self._states[1:])):
            found = self.body.vjp(xp, inputs, gs, outputs)  # (it takes a None as zeros)
            gs = found[:self.n_vals]
            captured = [c if g is None else g if c is None else c + g
                        for c, g in zip(captured, found[self.n_vals:])]
        return (*gs, *captured)

    def grad_decided_at_run(self, i: int) -> bool:
        """Whether input ``i`` gets a gradient depends on the iterations run (a captured parameter),
        or on them and on whether its result gets one (a value): every input."""
        return True


# -- the public functions -------------------------------------------------------------------------
def _is_symbolic(values: Sequence[Any]) -> bool:
    return any(isinstance(v, Symbol) for v in values)


def _example(x: Any, what: str) -> Any:
    if isinstance(x, Symbol):
        e = x.data.trace_example
        if e is None:
            raise SymbolValueError(f"{what}: {describe(x.data.value)} has no known shape and dtype; control flow "
                                   f"traces its branches on them: declare them in dz.symbol(name, shape, dtype)")
        return e
    return x.data if isinstance(x, Variable) else x


def cond(pred: Any, true_fn: Callable, false_fn: Callable, *operands: Any) -> Any:
    """``true_fn(*operands)`` if ``pred`` holds, else ``false_fn(*operands)``, decided when the graph
    runs; differentiable (the gradient flows through the branch taken).

    ``pred`` is a boolean (one element: e.g. ``F.sum(x) > 0``); the branches take the operands and
    return a Variable or a tuple of Variables of the same shapes and dtypes. On concrete values (no
    symbol) this is plain Python: one branch runs, eagerly.
    """
    if not _is_symbolic([pred, *operands]):
        value = pred.data if isinstance(pred, Variable) else pred
        return true_fn(*operands) if bool(value) else false_fn(*operands)
    examples = [_example(x, "dz.cond") for x in operands]
    requires = [isinstance(x, Variable) and x.requires_grad for x in operands]
    true_branch = Branch(true_fn, examples, requires, "dz.cond's true_fn")
    false_branch = Branch(false_fn, examples, requires, "dz.cond's false_fn")
    if true_branch.out_shapes != false_branch.out_shapes:
        raise ValueError(f"dz.cond: the branches must return the same shapes and dtypes; true_fn returns "
                         f"{true_branch.out_shapes}, false_fn {false_branch.out_shapes}")
    captured = _captured(true_branch, false_branch)
    return Cond(true_branch, false_branch, len(operands))(pred, *operands, *captured)


def while_loop(cond_fn: Callable, body_fn: Callable, init: Any) -> Any:
    """``vals = init; while cond_fn(*vals): vals = body_fn(*vals)``, decided when the graph runs;
    differentiable w.r.t. ``init`` (the gradient flows back through every iteration).

    ``init`` is a Variable or a tuple of them; ``body_fn`` returns as many, of the same shapes and
    dtypes; ``cond_fn`` returns a boolean of one element. On concrete values this is a plain loop.
    """
    single = not isinstance(init, (tuple, list))
    vals = [init] if single else list(init)
    if not _is_symbolic(vals):
        while bool(_example(cond_fn(*vals), "dz.while_loop")):
            out = body_fn(*vals)
            vals = [out] if single else list(out)
        return vals[0] if single else tuple(vals)
    examples = [_example(x, "dz.while_loop") for x in vals]
    requires = [isinstance(x, Variable) and x.requires_grad for x in vals]
    test = Branch(cond_fn, examples, [False] * len(vals), "dz.while_loop's cond_fn")
    body = Branch(body_fn, examples, requires, "dz.while_loop's body_fn")
    if body.out_shapes != [(tuple(e.shape), dtype_name(e.dtype)) for e in examples]:
        raise ValueError(f"dz.while_loop: body_fn must return values of the shapes and dtypes it takes "
                         f"({[(tuple(e.shape), dtype_name(e.dtype)) for e in examples]}), got {body.out_shapes}")
    carried = [r or o.requires_grad for r, o in zip(requires, body.outputs)]
    if carried != requires:  # a value computed from parameters needs its gradient in the next iteration
        body = Branch(body_fn, examples, carried, "dz.while_loop's body_fn")
    captured = _captured(body)
    return WhileLoop(test, body, len(vals))(*vals, *captured)


_install_comparisons()
