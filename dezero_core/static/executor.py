"""Replay: a graph compiled into a flat list of closures over one list of slots.

Every value gets a slot index; each node becomes one closure that reads its inputs' slots, calls the
Function's ``forward``/``backward`` on arrays (no Variable, no Function object is created) and
writes its outputs' slots. Closures are specialised for one and two inputs, the common cases, where
a generic ``*args`` call would cost as much as the rest of the step on small arrays. The memory plan
of :mod:`dezero_core.static.ir` is honoured: ``out`` buffers, ``inplace``, ``free_after``.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from dezero_core.static.ir import Graph, Node, Value
from dezero_core.static.symbolic import reads_at_run

Step = Callable[[list], None]


class Executor:
    """Runs ``graph`` on one backend: ``run(input arrays) -> output arrays``."""

    def __init__(self, graph: Graph, backend: Any) -> None:
        self.graph = graph
        self.backend = backend
        self.ops = backend.ops
        self.slot: dict[int, int] = {}
        template: list[Any] = [None]  # slot 0 always holds None (a missing gradient)
        for v in graph.leaves():
            self.slot[v.id] = len(template)
            # constants, and arrays held by reference (the same object at every run), stay in the template
            template.append(v.source if v.kind == "const" or (v.kind == "state" and not reads_at_run(v.source))
                            else None)
        for node in graph.nodes:
            for v in node.outputs:
                self.slot[v.id] = len(template)
                template.append(None)
        self.template = template
        self.input_slots = [self.slot[v.id] for v in graph.inputs]
        self.param_slots = [(self.slot[v.id], v.source) for v in graph.params if reads_at_run(v.source)]
        self.output_slots = [self.slot[v.id] for v in graph.outputs]
        xp = backend.xp
        self.buffers = [xp.empty(b.shape, dtype=getattr(xp, b.dtype)) for b in graph.buffers]
        self.array_type = type(xp.empty((0,)))
        self._backward_count: dict[int, int] = {}
        for node in graph.nodes:
            if node.kind == "backward":
                self._backward_count[id(node.fn)] = self._backward_count.get(id(node.fn), 0) + 1
        self.steps: list[Step] = [self._step(node) for node in graph.nodes]

    def _s(self, v: Value | None) -> int:
        return 0 if v is None else self.slot[v.id]

    def run(self, inputs: Sequence[Any]) -> list[Any]:
        """Run every node once with ``inputs`` (arrays, in ``graph.inputs`` order); the output arrays."""
        s = self.template.copy()
        for i, a in zip(self.input_slots, inputs):
            s[i] = a
        for i, holder in self.param_slots:
            s[i] = holder.data  # parameters (Variables) by reference: in-place updates and new arrays are seen
        for step in self.steps:
            step(s)
        return [s[i] for i in self.output_slots]

    # -- one closure per node ---------------------------------------------------------------------
    def _step(self, node: Node) -> Step:
        freed = tuple(self._s(v) for v in node.free_after)  # the memory plan: dropped after the node
        if node.kind == "call":
            return self._call_step(node, freed)
        if node.kind == "backward":
            return self._backward_step(node, freed)
        if node.kind == "set_grad":
            step = self._set_grad_step(node)
        elif node.kind == "update":
            step = self._update_step(node)
        else:
            raise ValueError(f"the executor cannot run a {node.kind!r} node ({node.op})")
        if not freed:
            return step
        inner = step

        def step(s: list) -> None:
            inner(s)
            for i in freed:
                s[i] = None
        return step

    def _call_step(self, node: Node, freed: tuple) -> Step:
        fwd, ops = node.fn.forward, self.ops
        asarray, array_type = self.backend.asarray, self.array_type
        ins = [self._s(v) for v in node.inputs]
        outs = [self._s(v) for v in node.outputs]
        buffer = self.buffers[node.out[0]] if node.out and node.out[0] is not None else None
        if node.inplace or buffer is not None:
            inplace, o = node.inplace, outs[0]

            def step(s: list) -> None:
                args = [s[i] for i in ins]
                s[o] = fwd(ops, *args, out=args[0] if inplace else buffer)
                for i in freed:
                    s[i] = None
            return step
        if len(outs) != 1:
            def step(s: list) -> None:
                ys = fwd(ops, *[s[i] for i in ins])
                for o, y in zip(outs, ys):
                    s[o] = y if type(y) is array_type else asarray(y)
                for i in freed:
                    s[i] = None
            return step
        o = outs[0]
        if len(ins) == 1:
            a = ins[0]

            def step(s: list) -> None:
                y = fwd(ops, s[a])
                s[o] = y if type(y) is array_type else asarray(y)
                for i in freed:
                    s[i] = None
        elif len(ins) == 2:
            a, b = ins

            def step(s: list) -> None:
                y = fwd(ops, s[a], s[b])
                s[o] = y if type(y) is array_type else asarray(y)
                for i in freed:
                    s[i] = None
        else:
            def step(s: list) -> None:
                y = fwd(ops, *[s[i] for i in ins])
                s[o] = y if type(y) is array_type else asarray(y)
                for i in freed:
                    s[i] = None
        return step

    def _backward_step(self, node: Node, freed: tuple) -> Step:
        fn, ops = node.fn, self.ops
        bwd = fn.backward
        n_in, n_out = node.attrs["n_in"], node.attrs["n_out"]
        needs = tuple(node.attrs["needs_grad"])
        # the Function's backward reads needs_grad from its instance: set it once when this node is its
        # only backward (the usual case), else before every call
        shared = self._backward_count.get(id(fn), 0) > 1
        if not shared:
            fn.needs_grad = needs
        slots = [self._s(v) for v in node.inputs]
        xs, ys, gys = slots[:n_in], slots[n_in:n_in + n_out], slots[n_in + n_out:]
        picks = [(i, self._s(v)) for i, v in zip([k for k, n in enumerate(needs) if n], node.outputs)]
        if n_out == 1 and len(picks) == 1 and n_in <= 2 and not shared:
            (pos, o), = picks
            y, gy = ys[0], gys[0]
            a, b = (xs[0], xs[0]) if n_in == 1 else xs
            if n_in == 1:
                def step(s: list) -> None:
                    gxs = bwd(ops, (s[a],), s[y], s[gy])
                    s[o] = gxs[pos] if type(gxs) is tuple else gxs
                    for i in freed:
                        s[i] = None
            else:
                def step(s: list) -> None:
                    gxs = bwd(ops, (s[a], s[b]), s[y], s[gy])
                    s[o] = gxs[pos] if type(gxs) is tuple else gxs
                    for i in freed:
                        s[i] = None
            return step

        def step(s: list) -> None:
            if shared:
                fn.needs_grad = needs
            y = s[ys[0]] if n_out == 1 else tuple([s[i] for i in ys])
            gy = s[gys[0]] if n_out == 1 else tuple([s[i] for i in gys])
            gxs = bwd(ops, tuple([s[i] for i in xs]), y, gy)
            if type(gxs) is not tuple:
                gxs = (gxs,)
            for pos, o in picks:
                s[o] = gxs[pos]
            for i in freed:
                s[i] = None
        return step

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

