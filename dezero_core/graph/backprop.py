"""The backward engine: one loop over the recorded graph in generation order."""
from __future__ import annotations

import heapq
from typing import Any, Callable

from dezero_core.backend.ops import DifferentiableOps
from dezero_core.anomaly import DETECT_ANOMALY, check_backward
from dezero_core.backend.selection import backend_of
from dezero_core.config import using_config
from dezero_core.graph.grad_buffers import GRAD_BUFFERS, into_buffer
from dezero_core.graph.variable import Variable, _new_variable

_differentiable_ops: dict[int, DifferentiableOps] = {}

#: set by Define-and-Run (:mod:`dezero_core.static`): while a function is traced, the backward of a
#: Variable the trace computed from parameters alone is recorded (``trace_backward(root)`` returns
#: True) instead of run, as a symbol's is
trace_backward: Callable[[Variable], bool] | None = None


def backward(root: Variable, retain_grad: bool, create_graph: bool, retain_graph: bool) -> None:
    """Accumulate d(root)/d(x) into ``x.grad`` for every variable ``x`` behind ``root``.

    Functions run latest generation first, so a function runs only after every function that uses
    its outputs has added its gradient.
    """
    if trace_backward is not None and trace_backward(root):
        return
    backend = backend_of(root.data)
    if root._grad is None:
        root._grad = backend.xp.ones_like(root.data)
    else:
        _check_seed(root)
    if root.creator is None:
        return
    if create_graph:
        xp = _differentiable_ops.get(id(backend)) or _differentiable_ops.setdefault(id(backend),
                                                                                    DifferentiableOps(backend))
        with using_config("enable_backprop", True):
            _run(root, xp, retain_grad, retain_graph, _as_variable_grad)
    else:
        _run(root, backend.ops, retain_grad, retain_graph, _as_array_grad)


def _check_seed(root: Variable) -> None:
    """Raise unless the gradient the user set on ``root`` has root's shape: a seed of another shape
    would broadcast through the graph and give every gradient behind it the wrong shape."""
    seed = root._grad
    shape = getattr(seed.data if isinstance(seed, Variable) else seed, "shape", None)
    if shape is None or tuple(shape) != tuple(root.data.shape):
        raise ValueError(
            f"backward: the gradient set on the output (its .grad) has shape "
            f"{None if shape is None else tuple(shape)}, but the output has shape {tuple(root.data.shape)}; "
            f"set a gradient of the output's shape, or none (ones are used)")


def _as_array_grad(g: Any) -> Any:
    return g.data if isinstance(g, Variable) else g  # a Variable once the user read x.grad


def _as_variable_grad(g: Any) -> Any:
    return g if g is None or isinstance(g, Variable) else _new_variable(g, False)


def _run(root: Variable, xp: Any, retain_grad: bool, retain_graph: bool, as_grad: Any) -> None:
    # One pass per function, latest generation first. Functions with one or two inputs and one
    # output (most of them) take branches without comprehensions or zip: on small arrays the
    # engine's own bookkeeping costs as much as the arithmetic.
    array_mode = as_grad is _as_array_grad
    buffers = GRAD_BUFFERS if array_mode else None  # gradient buffers (grad_buffers.py): usually empty
    anomaly = DETECT_ANOMALY.get()  # read once: off, the loop pays one local test per function
    first = root.creator
    heap = [(-first.generation, 0, first)]  # (latest generation first, then first queued, function)
    queued = {first}
    done = []
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        f = pop(heap)[2]
        xs = f.inputs
        if xs is None:
            raise RuntimeError(
                f"backward reached {f.name}, whose graph was already released by an earlier "
                "backward(retain_graph=False). Keep the graph (retain_graph=True, the default) in the "
                "first backward() to backpropagate through it again."
            )
        done.append(f)

        # 1. The gradient that reached f's output(s): arrays, or Variables under create_graph.
        if len(f.outputs) == 1:
            out = f.outputs[0]()
            if out is None or out._grad is None:
                continue  # the output was dropped or nothing depends on it: no gradient flows
            gy = out._grad
            if array_mode:
                y = out.data
                if isinstance(gy, Variable):  # once the user read out.grad
                    gy = gy.data
            else:
                y = out
                gy = as_grad(gy)
            if not retain_grad:
                out._grad = None
        else:
            y, gy = _outputs_and_grads(f, array_mode, retain_grad, as_grad)
            if gy is None:
                continue

        # 2. f's own backward.
        if not array_mode:
            gxs = f.backward(xp, xs, y, gy)
        elif len(xs) == 1:
            gxs = f.backward(xp, (xs[0].data,), y, gy)
        elif len(xs) == 2:
            gxs = f.backward(xp, (xs[0].data, xs[1].data), y, gy)
        else:
            gxs = f.backward(xp, tuple([x.data for x in xs]), y, gy)

        # 3. Add the inputs' gradients to what they hold; queue their creators.
        if type(gxs) is not tuple:
            gxs = (gxs,)
        if anomaly:
            check_backward(f, gxs, gy)
        i = 0
        for x in xs:  # (zip costs more than the rest of this loop)
            gx = gxs[i]
            i += 1
            if gx is None or not x.requires_grad:
                continue
            g = x._grad
            if g is None:
                x._grad = into_buffer(x, gx) if buffers else gx
            else:
                x._grad = as_grad(g) + gx
            creator = x.creator
            if creator is not None and creator not in queued:
                queued.add(creator)
                push(heap, (-creator.generation, len(queued), creator))
    if not retain_graph:
        # Only now: freeing a function's inputs early would drop the outputs of the functions
        # before it (held only through those inputs) together with their gradients.
        for f in done:
            f.inputs = None


def _outputs_and_grads(f: Any, array_mode: bool, retain_grad: bool, as_grad: Any) -> tuple[Any, Any]:
    """``(y, gy)`` of a function with several outputs, as tuples; ``gy`` None when none has a gradient.

    An output that was dropped or has no gradient gets None in both.
    """
    outputs = [ref() for ref in f.outputs]
    gy = tuple([None if o is None else as_grad(o._grad) for o in outputs])
    if all([g is None for g in gy]):
        return None, None
    y = tuple([None if o is None else (o.data if array_mode else o) for o in outputs])
    if not retain_grad:
        for o in outputs:
            if o is not None:
                o._grad = None
    return y, gy
