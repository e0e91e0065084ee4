"""The replay of a training step that updates its parameters in the backward pass.

The memory plan (:func:`dezero_core.static.passes.memory.schedule_updates`) moves each ``set_grad``
node of a training step to right after the last node that needs that gradient or that parameter, and
marks it and the step's ``update`` node ``update_in_backward``. :class:`BackwardUpdates` replays them:
at the first marked ``set_grad`` of a run it decides whether this step may update in backward, and if
so counts the step (``t``, ``begin_step``) as ``Optimizer.update()`` would; each marked ``set_grad``
then updates its parameter (``Optimizer.update_param``) and leaves its ``grad`` None, so the gradient
is dropped as soon as it is used. The ``update`` node has nothing left to do.

A step updates in backward only where that equals ``update()`` at the end, and otherwise the
``set_grad`` nodes write the gradients and the ``update`` node calls ``update()``. It does not when:

- the optimizer has hooks (``WeightDecay``, ``ClipGrad``... may read every gradient or replace them),
  or ``update_in_backward`` was set False;
- a parameter of the optimizer's target that this graph gives no gradient holds one (set from
  outside: ``update()`` applies it);
- a parameter this graph updates holds a read-only array (``update()`` refuses it before changing
  anything, with the error that names it);
- the step leaves a gradient for the next call (it does not call ``cleargrads()``: eager mode's next
  step adds to that gradient), marked ``keeps_grad`` on its ``set_grad`` node by the trace.

The first call of a step, the trace, runs ``update()`` as eager mode does; then
:func:`drop_updated_grads` drops the gradients a replay would have dropped, so that every call
leaves ``param.grad`` alike.

The parameters are updated in the order their gradients become final rather than by name, which
changes nothing: each parameter's update reads only its own array, gradient and state. Small
parameters of an elementwise optimizer are updated together, as one flat array
(:mod:`dezero_core.optimizers.flat`), when the last of them gets its gradient: one call of the
optimizer's arithmetic instead of one per bias. A larger parameter of an optimizer with a fused
kernel (Adam's ``kernel_name``) is updated with the backend's compiled kernel where it has one
(``optimizer_kernel("jit:adam")``: numpy's numba loop, bit for bit numpy's arithmetic in one pass),
compiled for the parameter's dtype in the step's first call (:func:`drop_updated_grads`), so no
replay pays it; eager ``update()`` keeps the plain kernel. On the optimizer's denormal-flushing
steps each update runs in the backend's ``compute_scope`` as the whole ``update()`` does. A replay that raises
between the first update and the ``update`` node (nothing in a replayed graph is expected to: its
shapes and dtypes are guarded) leaves the step counted and some parameters updated, where eager mode
would have raised in ``backward()`` before ``update()``.
"""
from __future__ import annotations

from typing import Any, Callable

from dezero_core.backend.selection import backend_of
from dezero_core.optimizers.flat import FlatGroup, flat_groups
from dezero_core.static.ir import Graph, Node

Step = Callable[[list], None]


class BackwardUpdates:
    """The shared state of one graph's in-backward updates, for one executor."""

    def __init__(self, graph: Graph) -> None:
        self.update = next(n for n in graph.nodes if n.kind == "update")
        self.optimizer = self.update.fn
        self.first = next(n for n in graph.nodes if n.kind == "set_grad" and n.attrs.get("update_in_backward"))
        self.fed = [n.fn for n in graph.nodes if n.kind == "set_grad" and n.attrs.get("update_in_backward")]
        #: a gradient the step leaves for the next call (no cleargrads() in it: eager adds to it then)
        self.keeps = any(n.attrs.get("keeps_grad") for n in graph.nodes if n.kind == "set_grad")
        self.active = False  # whether the current run updates in backward
        self.flush = False  # whether the current step flushes denormals
        self._params: Any = None  # the target's (name, parameter) list the names below were taken from
        self._names: dict[int, str] = {}  # id(parameter this graph updates) -> its name in the target
        self._others: list[Any] = []  # the target's parameters this graph gives no gradient
        self._updated: list[Any] = []  # the parameters this graph gives a gradient that the optimizer updates
        self._writable: dict[int, Any] = {}  # id(parameter) -> the array last seen writable
        self._groups: list[FlatGroup] | None = None  # small parameters updated together (None: to make)
        self._route: dict[int, tuple[FlatGroup, int, bool]] = {}  # id(parameter) -> (group, index, last)
        self._jit_name = _jit_name(self.optimizer)
        self._jit: dict[type, Any] = {}  # array type -> the backend's "jit:" kernel, or None

    def applies(self) -> bool:
        """Whether this step may update in backward (see the module docstring)."""
        optimizer = self.optimizer
        if optimizer.hooks or not optimizer.update_in_backward or optimizer.target is None or self.keeps:
            return False
        target = optimizer.target
        params = target.named_param_list() if hasattr(target, "named_param_list") else list(target.named_params())
        if params is not self._params:
            self._index(params)
        for p in self._others:
            if p._grad is not None:
                return False
        writable = self._writable
        for p in self._updated:
            if writable.get(id(p)) is not p.data:
                if not getattr(getattr(p.data, "flags", None), "writeable", True):
                    return False
                writable[id(p)] = p.data
        return True

    def begin(self) -> None:
        """At the first ``set_grad`` of a run: whether this step updates in backward; if so, count it."""
        optimizer = self.optimizer
        self.active = False
        if not self.applies():
            return
        if self._groups is None:
            self._group()
        for group in self._groups:
            if not group.valid():
                self._group()
                break
        for group in self._groups:
            group.start()
        optimizer.t += 1
        optimizer.begin_step()
        self.flush = optimizer.flush_denormal and optimizer.t % optimizer.FLUSH_EVERY == 1
        self.active = True

    def _group(self) -> None:
        """Group the small parameters (in graph order: a group is updated at its last member)."""
        self._groups = flat_groups(self.optimizer, [(self._names[id(p)], p) for p in self._updated])
        self._route = {}
        for group in self._groups:
            for i, (_, p) in enumerate(group.members):
                self._route[id(p)] = (group, i, i == len(group.members) - 1)

    def _index(self, params: list) -> None:
        fed = {id(p) for p in self.fed}
        self._params = params if isinstance(params, list) else None
        self._names = {id(p): name for name, p in params if id(p) in fed}
        self._others = [p for _, p in params if id(p) not in fed]
        self._updated = [p for p in self.fed if id(p) in self._names]
        self._writable = {}
        self._groups = None

    def set_grad_step(self, node: Node, g: int) -> Step:
        """The replay of a marked ``set_grad`` node whose gradient is in slot ``g``."""
        holder, first = node.fn, node is self.first
        jit = self._jit_kernel(holder.data)

        def step(s: list) -> None:
            if first:
                self.begin()
            grad = s[g]
            name = self._names.get(id(holder)) if self.active else None
            if name is None:  # not this step, or a parameter the optimizer does not update
                holder._grad = grad
                return
            route = self._route.get(id(holder))
            if route is not None:  # a small parameter: its group is updated at its last member
                group, index, last = route
                group.put_grad(index, grad)
                update, args = (group.update, ()) if last else (None, ())
            elif grad is not None:  # None: no gradient this step (a branch of dz.cond not taken)
                if jit is not None:
                    update, args = self.optimizer.update_with, (jit, name, holder.data, grad)
                else:
                    update, args = self.optimizer.update_param, (name, holder.data, grad)
            else:
                update, args = None, ()
            if update is not None:
                if self.flush:
                    with backend_of(holder.data).compute_scope(flush_denormals=True):
                        update(*args)
                else:
                    update(*args)
            holder._grad = None
        return step

    def _jit_kernel(self, data: Any) -> Any:
        """The backend's compiled (``"jit:"``) update of ``data`` for this optimizer, or None; warmed
        for ``data``'s dtype now (a no-op after the first call's), so no replay pays its compile."""
        if self._jit_name is None or data is None:
            return None
        kernel = self._jit.get(type(data), _UNKNOWN)
        if kernel is _UNKNOWN:
            kernel = self._jit[type(data)] = backend_of(data).optimizer_kernel("jit:" + self._jit_name)
        if kernel is not None and hasattr(kernel, "warm"):
            kernel.warm(data.dtype)
        return kernel

    def update_step(self) -> Step:
        """The replay of the marked ``update`` node: ``update()`` unless the step updated in backward."""
        def step(s: list) -> None:
            if self.active:
                self.active = False
            else:
                self.optimizer.update()
        return step


_UNKNOWN = object()


def _jit_name(optimizer: Any) -> str | None:
    """The ``kernel_name`` of ``optimizer`` (Adam's fused update) where a compiled kernel may replace
    its ``update_param``: not where a subclass overrides ``update_param`` below the class naming it."""
    for klass in type(optimizer).__mro__:
        if "kernel_name" in vars(klass):
            return klass.kernel_name if type(optimizer).update_param is klass.update_param else None
    return None


def backward_updates(executor: Any) -> BackwardUpdates:
    """The :class:`BackwardUpdates` of ``executor``'s graph (made on first use, kept on the executor)."""
    shared = executor.__dict__.get("_backward_updates")
    if shared is None:
        shared = executor.__dict__["_backward_updates"] = BackwardUpdates(executor.graph)
    return shared


def drop_updated_grads(graph: Graph) -> None:
    """After the first, traced call of a training step (which ran ``update()`` as eager mode does):
    drop the gradients a replay would have dropped, so that every call of the step leaves
    ``param.grad`` alike (None where the step updates in backward). The backend's compiled update
    kernels are warmed for the parameters' dtypes now, in this first call, the step's compile: not
    in the first replay, which builds the executor."""
    if not any(n.kind == "update" and n.attrs.get("update_in_backward") for n in graph.nodes):
        return
    updates = BackwardUpdates(graph)
    for p in updates.fed:
        updates._jit_kernel(p.data)
    if updates.applies():
        for p in updates._updated:
            p._grad = None
