"""The backward engine: one loop over the recorded graph in generation order."""
from __future__ import annotations

import heapq
from typing import Any

from dezero_core.backend.ops import DifferentiableOps
from dezero_core.anomaly import DETECT_ANOMALY, check_backward
from dezero_core.backend.selection import backend_of
from dezero_core.config import using_config
from dezero_core.graph.variable import Variable, _new_variable

_differentiable_ops: dict[int, DifferentiableOps] = {}


def backward(root: Variable, retain_grad: bool, create_graph: bool, retain_graph: bool) -> None:
    """Accumulate d(root)/d(x) into ``x.grad`` for every variable ``x`` behind ``root``.

    Functions run latest generation first, so a function runs only after every function that uses
    its outputs has added its gradient.
    """
    backend = backend_of(root.data)
    if root._grad is None:
        root._grad = backend.xp.ones_like(root.data)
    if root.creator is None:
        return
    if create_graph:
        xp = _differentiable_ops.get(id(backend)) or _differentiable_ops.setdefault(id(backend),
                                                                                    DifferentiableOps(backend))
        with using_config("enable_backprop", True):
            _run(root, xp, retain_grad, retain_graph, _as_variable_grad)
    else:
        _run(root, backend.ops, retain_grad, retain_graph, _as_array_grad)


def _as_array_grad(g: Any) -> Any:
    return g.data if isinstance(g, Variable) else g


def _as_variable_grad(g: Any) -> Any:
    return g if g is None or isinstance(g, Variable) else _new_variable(g, False)


def _run(root: Variable, xp: Any, retain_grad: bool, retain_graph: bool, as_grad: Any) -> None:
    array_mode = as_grad is _as_array_grad
    anomaly = DETECT_ANOMALY.get()  # read once: off, the loop pays one local test per function
    first = root.creator
    heap = [(-first.generation, 0, first)]
    queued = {id(first)}
    done = []
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        f = pop(heap)[2]
        xs = f.inputs
        if xs is None:
            raise RuntimeError(
                f"backward reached {f.name}, whose graph was already freed by an earlier backward(). "
                "Pass retain_graph=True to the first backward() to backpropagate through it again."
            )
        done.append(f)
        refs = f.outputs
        if len(refs) == 1:
            out = refs[0]()
            if out is None or out._grad is None:
                continue
            outputs = (out,)
            gy = out._grad
            if array_mode:
                if type(gy) is Variable:
                    gy = gy.data
                y = out.data
            else:
                gy = as_grad(gy)
                y = out
        else:
            outputs = [ref() for ref in refs]
            gy = tuple([as_grad(o._grad) if o is not None else None for o in outputs])
            if all(g is None for g in gy):
                continue
            y = tuple([(o.data if array_mode else o) if o is not None else None for o in outputs])
        gxs = f.backward(xp, tuple([x.data for x in xs]) if array_mode else xs, y, gy)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        if anomaly:
            check_backward(f, gxs, gy)
        for x, gx in zip(xs, gxs):
            if gx is None or not x.requires_grad:
                continue
            g = x._grad
            x._grad = gx if g is None else as_grad(g) + gx
            creator = x.creator
            if creator is not None and id(creator) not in queued:
                queued.add(id(creator))
                push(heap, (-creator.generation, len(queued), creator))
        if not retain_grad:
            for out in outputs:
                if out is not None:
                    out._grad = None
    if not retain_graph:
        # Only now: freeing a function's inputs early would drop the outputs of the functions
        # before it (held only through those inputs) together with their gradients.
        for f in done:
            f.inputs = None
