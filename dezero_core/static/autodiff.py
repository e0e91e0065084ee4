"""The backward pass derived at definition time from each Function's array-level ``backward``.

:meth:`Gradients.grads` walks the recorded forward nodes from an output exactly as eager mode's
engine walks Functions (latest generation first, ties in the order they were queued) and records one
``backward`` node per forward node, plus one ``Add`` node wherever two gradients meet. Because the
order and the kernels are eager's, a compiled gradient equals the eager one bit for bit. Gradients
flow to every value that requires one (as eager computes the batch's gradient too); dead-code
elimination then drops those nobody reads.

A gradient is differentiable in turn (``dz.grad(dz.grad(y, x), x)``, a gradient penalty in a traced
step): where the walk meets a ``backward`` node, the Function's backward is recorded again on
symbols with eager's ``create_graph`` functions (:mod:`dezero_core.static.second_order`), and that
record is differentiated. This works for the functions whose backward is written with ``xp``'s
differentiable functions (their conformance check declares ``double_grad``); for another, the
error names the function.

Whether a gradient flows at all can be decided only when the graph runs: a parameter used in one
branch of ``dz.cond`` gets a gradient in the runs that take that branch and None (no gradient, as in
eager mode) in the others. A Function says so with ``grad_decided_at_run(i)`` (True for such an
input ``i``); its gradient is then kept where the trace saw None, and sums with it are
:class:`AddGrads`, which treat a None as no gradient. A backward node all of whose incoming gradients
may be None is skipped at run time when they are (its gradients are None too, as eager's engine never
reaches that Function), so the layers before an operand the branch taken ignores keep no gradient.
The graph records which values may be None in their producers' ``attrs["maybe_none"]`` (output
indices; :func:`may_be_none`), and a backward node to skip in ``attrs["skip_if_none"]``: only graphs
with control flow have any, so no other graph pays a check; passes leave such nodes alone
(:func:`touches_none`).
"""
from __future__ import annotations

import heapq
from typing import Any, Sequence

from dezero_core.backend.selection import backend_of, get_backend
from dezero_core.config import using_config
from dezero_core.functions.arithmetic import Add
from dezero_core.graph import function as _function
from dezero_core.graph.function import Function
from dezero_core.static.ir import Node, Value
from dezero_core.static.symbolic import (
    Symbol,
    describe,
    example_of,
    make_symbol,
    output_values,
    reads_at_run,
    record,
    run_forward,
)


class OnesLike(Function):
    """The gradient seed: ``ones_like(x)`` (eager's ``root.grad`` default)."""

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.ones_like(x)

    def backward(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        return None  # the seed is a constant: no gradient flows through it


def run_backward(fn: Any, xs: Sequence[Any], ys: Sequence[Any], gys: Sequence[Any], needs: tuple) -> tuple:
    """``fn.backward`` on arrays as eager's engine calls it; the gradients for the needed inputs."""
    first = next(a for a in xs if hasattr(a, "dtype"))
    ops = _function._ops_by_type.get(type(first)) or _function._ops_of(first)
    fn.needs_grad = needs
    y = ys[0] if len(ys) == 1 else tuple(ys)
    gy = gys[0] if len(gys) == 1 else tuple(gys)
    gxs = fn.backward(ops, tuple(xs), y, gy)
    return gxs if type(gxs) is tuple else (gxs,)


class AddGrads(Function):
    """``a + b`` of two gradients, either of which may be None when the graph runs (no gradient: a
    parameter of a ``dz.cond`` branch not taken), as eager's engine adds only the gradients that flow."""

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        if a is None:
            return b
        if b is None:
            return a
        return a + b  # as Add: the same kernel, so the sum is eager's bit for bit

    def backward(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        return gy, gy


def may_be_none(v: Value | None) -> bool:
    """Whether gradient value ``v`` may be None when the graph runs (see the module docstring)."""
    return v is not None and v.producer is not None and v.index in v.producer.attrs.get("maybe_none", ())


def touches_none(node: Node) -> bool:
    """Whether ``node`` reads or makes a value that may be None when the graph runs: a pass leaves it
    alone (a node it rewrites or fuses would lose the run-time check)."""
    return bool(node.attrs.get("maybe_none")) or any(may_be_none(v) for v in node.inputs)


class Gradients:
    """Records gradient nodes (running them on the examples where those are known)."""

    example = staticmethod(example_of)

    def grads(self, root: Value, seed: Value | None = None, held: dict[int, Value] | None = None
              ) -> dict[int, Value]:
        """value id -> gradient value of every value ``root`` depends on that requires a gradient.
        ``held``: value id -> the gradient a leaf holds already, which the new ones are added to one by
        one as they arrive, in eager's order."""
        if root.producer is None:
            raise ValueError(f"cannot differentiate {describe(root)}: it is not computed in the graph")
        if seed is None:
            seed = self._call(OnesLike(), [root])[0]
        return self.vjp({**(held or {}), root.id: seed}, [root.producer])

    def vjp(self, grads: dict[int, Value], starts: Sequence[Node], stop: frozenset[int] = frozenset()
            ) -> dict[int, Value]:
        """Walk back from the nodes ``starts`` with the gradients ``grads`` (value id -> gradient) of
        their outputs, as eager's engine does; ``grads`` gains the gradient of every value reached.
        Values in ``stop`` get their gradient but are not walked past."""
        generation: dict[int, int] = {}

        def gen_of(node: Node) -> int:
            # eager: a function's generation is the largest of its inputs'; an output's is one more
            if id(node) in generation:
                return generation[id(node)]
            stack = [node]
            while stack:
                n = stack.pop()
                if id(n) in generation:
                    continue
                pending = [v.producer for v in n.inputs
                           if v is not None and v.producer is not None and id(v.producer) not in generation]
                if pending:
                    stack.append(n)
                    stack.extend(pending)
                    continue
                generation[id(n)] = max([generation[id(v.producer)] + 1 for v in n.inputs
                                         if v is not None and v.producer is not None] or [0])
            return generation[id(node)]

        heap = [(-gen_of(n), i, id(n), n) for i, n in enumerate(starts)]
        heapq.heapify(heap)
        queued = {id(n) for n in starts}
        while heap:
            node = heapq.heappop(heap)[3]
            if node.kind not in ("call", "backward"):
                raise NotImplementedError(f"gradients through {node.op} nodes are not supported")
            if isinstance(node.fn, OnesLike):
                continue  # the seed: a constant
            gys = [grads.get(o.id) for o in node.outputs]
            if all(g is None for g in gys):
                continue
            xs = node.inputs
            needs = tuple(bool(x is not None and x.requires_grad) for x in xs)
            if not any(needs):
                continue
            if node.kind == "backward":  # a gradient of a gradient
                gxs = self._through_backward(node, gys)
            else:
                if not hasattr(node.fn, "backward") or type(node.fn).backward is Function.backward:
                    raise TypeError(f"{node.op} has no array-level backward: it cannot be differentiated in a "
                                    f"compiled graph. Give {type(node.fn).__name__} a backward(xp, xs, y, gy) "
                                    f"method.")
                gxs = self._backward(node, needs, gys)
            for x, gx in zip(xs, gxs):
                if gx is None:
                    continue
                old = grads.get(x.id)
                grads[x.id] = gx if old is None else self.add(old, gx)
                creator = x.producer
                if creator is not None and x.id not in stop and id(creator) not in queued:
                    queued.add(id(creator))
                    heapq.heappush(heap, (-gen_of(creator), len(queued), id(creator), creator))
        return grads

    def _through_backward(self, node: Node, gys: list[Value | None]) -> list[Value | None]:
        """The gradients of a backward node's inputs (xs, ys, gys of its forward) from those of its
        outputs: its Function's ``backward`` is recorded again on symbols with differentiable
        functions (eager's ``create_graph=True``), and that record is differentiated back to them."""
        fn = node.fn
        n_in, n_out = node.attrs["n_in"], node.attrs["n_out"]
        symbols = [None if v is None else _operand(v) for v in node.inputs]
        xs, ys, seeds = symbols[:n_in], symbols[n_in:n_in + n_out], symbols[n_in + n_out:]
        fn.needs_grad = tuple(node.attrs["needs_grad"])
        try:
            with using_config("enable_backprop", True):
                gxs = fn.backward(_symbolic_ops(node), tuple(xs), ys[0] if n_out == 1 else tuple(ys),
                                  seeds[0] if n_out == 1 else tuple(seeds))
        except (TypeError, AttributeError, ValueError, NotImplementedError) as exc:
            raise NotImplementedError(
                f"a gradient of a gradient through {type(fn).__name__} is not supported: its backward "
                f"does not run on differentiable functions ({type(exc).__name__}: {exc}). Functions "
                f"whose conformance check marks double_grad support it") from exc
        gxs = gxs if type(gxs) is tuple else (gxs,)
        expanded = [gx for gx, n in zip(gxs, fn.needs_grad) if n]
        # the expansion's outputs stand for the node's outputs: their gradients seed its walk, which
        # ends at the node's inputs (an output that is one of them passes its gradient straight on)
        boundary = {v.id for v in node.inputs if v is not None}
        found: dict[int, Value] = {}
        starts: dict[int, Node] = {}  # each node once (a node may make several of the outputs)
        for gx, g in zip(expanded, gys):
            if g is None or not isinstance(gx, Symbol):
                continue
            v = gx.data.value
            found[v.id] = g if v.id not in found else self.add(found[v.id], g)
            if v.id not in boundary and v.producer is not None:
                starts[id(v.producer)] = v.producer
        if starts:
            self.vjp(found, list(starts.values()), frozenset(boundary))
        result: list[Value | None] = []
        for v in node.inputs:  # a value read twice (x * x) gets its whole gradient once
            result.append(None if v is None or v.id not in boundary else found.get(v.id))
            if v is not None:
                boundary.discard(v.id)
        return result

    def add(self, a: Value, b: Value) -> Value:
        """Record ``a + b`` of two gradients of one value (``a`` the earlier: eager's order); an
        :class:`AddGrads` where either may be None when the graph runs."""
        if not may_be_none(a) and not may_be_none(b):
            return self._call(Add(), [a, b])[0]
        fn = AddGrads()
        fn.needs_grad = (a.requires_grad, b.requires_grad)
        node = record("call", fn, [a, b])
        if may_be_none(a) and may_be_none(b):
            node.attrs["maybe_none"] = [0]  # None when neither flows
        example = fn.forward(None, self.example(a), self.example(b))
        total = output_values(node, None if example is None else [example], any(fn.needs_grad), 1)[0]
        total.shape, total.dtype = a.shape, a.dtype
        return total

    def _call(self, fn: Function, inputs: list[Value]) -> list[Value]:
        """Record ``fn(*inputs)`` (running it on the examples when they are known)."""
        examples = [self.example(v) for v in inputs]
        fn.needs_grad = tuple(v.requires_grad for v in inputs)
        node = record("call", fn, inputs)
        ys = run_forward(fn, examples) if all(e is not None for e in examples) else None
        requires = any(fn.needs_grad) and not isinstance(fn, OnesLike)
        return output_values(node, ys, requires, 1 if ys is None else len(ys))

    def _backward(self, node: Node, needs: tuple, gys: list[Value | None]) -> list[Value | None]:
        """Record the backward node of forward node ``node``; one gradient value (or None) per input."""
        xs, ys = node.inputs, node.outputs
        ex_x = [self.example(v) for v in xs]
        ex_y = [self.example(v) for v in ys]
        ex_g = [self.example(g) for g in gys]
        known = all(e is not None for e in ex_x + ex_y) and all(
            e is not None for g, e in zip(gys, ex_g) if g is not None)
        gx_examples = run_backward(node.fn, ex_x, ex_y, ex_g, needs) if known else None
        at_run = getattr(node.fn, "grad_decided_at_run", None)
        optional = tuple(at_run is not None and at_run(i) for i in range(len(xs)))
        if gx_examples is not None:  # a backward may give None for an input it cannot differentiate
            needs = tuple(n and (gx_examples[i] is not None or optional[i]) for i, n in enumerate(needs))
        attrs: dict[str, Any] = {"n_in": len(xs), "n_out": len(ys), "needs_grad": needs}
        present = [g for g in gys if g is not None]
        skip = bool(present) and all(may_be_none(g) for g in present)
        if skip:  # no gradient reaches it in some runs: it is skipped there, its gradients None
            attrs["skip_if_none"] = True
        picks = [i for i, n in enumerate(needs) if n]
        maybe = [k for k, i in enumerate(picks) if skip or optional[i]]
        if maybe:
            attrs["maybe_none"] = maybe
        back = record("backward", node.fn, [*xs, *ys, *gys], attrs)
        picked = [gx_examples[i] for i, n in enumerate(needs) if n] if gx_examples is not None else None
        # a gradient is differentiable in turn (a gradient of a gradient) where its inputs are
        requires = any(v is not None and v.requires_grad for v in back.inputs)
        outs = output_values(back, picked, requires, sum(needs))
        result: list[Value | None] = []
        k = 0
        for i, n in enumerate(needs):
            if not n:
                result.append(None)
                continue
            gx = outs[k]
            k += 1
            if may_be_none(gx):  # the trace may have seen None: the shape is the input's
                gx.shape, gx.dtype = xs[i].shape, xs[i].dtype
            result.append(gx)
        return result


def _operand(v: Value) -> Any:
    """What a backward is recorded again on for input ``v``: a symbol, or for a leaf that needs no
    gradient (labels, constants) the array itself, which the backward may compute on in Python."""
    if v.producer is None and not v.requires_grad and v.kind in ("state", "const") and \
            not reads_at_run(v.source) and hasattr(v.source, "dtype"):
        return v.source
    return make_symbol(v, example_of(v))


def _symbolic_ops(node: Node) -> Any:
    """The namespace ``node``'s backward is recorded with (of the backend of its arrays)."""
    from dezero_core.static.second_order import symbolic_ops

    example = next((e for e in map(example_of, node.inputs) if hasattr(e, "dtype")), None)
    return symbolic_ops(backend_of(example) if example is not None else get_backend())


def grad(outputs: Any, inputs: Any) -> Any:
    """Symbolic gradients: ``d sum(outputs) / d input`` for each of ``inputs`` (symbols).

    ``outputs`` is a symbol (or a list: their gradients add up, each seeded with ones); returns one
    symbol per input (a list for a list), which compiles like any other symbol. An input the outputs
    do not depend on gets None.
    """
    single = isinstance(inputs, Symbol)
    ins = [inputs] if single else list(inputs)
    outs = [outputs] if isinstance(outputs, Symbol) else list(outputs)
    for s in [*ins, *outs]:
        if not isinstance(s, Symbol):
            raise TypeError(f"dz.grad takes symbols (dz.symbol, or results of functions of symbols), got "
                            f"{type(s).__name__}")
    g = Gradients()
    total: dict[int, Value] = {}
    for s in outs:
        for vid, gv in g.grads(s.data.value).items():
            total[vid] = gv if vid not in total else g.add(total[vid], gv)
    result = []
    for s in ins:
        gv = total.get(s.data.value.id)
        result.append(None if gv is None else make_symbol(gv, example_of(gv)))
    return result[0] if single else result
