"""``Optimizer``: updates a layer's parameters in place from their gradients.

Parameters are visited in the order of their names (``Layer.named_params``), and per-parameter state
(Adam's moments, momentum's velocity) is keyed by the parameter's name, not ``id()``: a checkpoint
written by one process is restored into another, where ids differ. ``state_dict``/``load_state_dict``
make training resumable: a resumed run equals an uninterrupted one.

Updates are in place with array-API augmented assignments (``p -= lr * g``): no new parameter or state
array is allocated per step, and state arrays are allocated once, at a parameter's first update.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from dezero_core.backend.selection import backend_of
from dezero_core.data.arrays import is_array
from dezero_core.graph.transfer import move_array
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.optimizers.blocks import BLOCK_ELEMENTS, blocks_of
from dezero_core.serialization import copy_like

#: a hook runs before every update with the parameters that have a gradient; it may replace or drop
#: (set to None) their gradients. Plain callables, as in the book.
Hook = Callable[[list[Parameter]], None]

#: set by Define-and-Run (:mod:`dezero_core.static`): while a function is traced, ``update()`` is
#: recorded as a node of the graph (``trace_update(optimizer)`` returns True) instead of run
trace_update: Callable[["Optimizer"], bool] | None = None


class Optimizer:
    """Base class: subclasses list their ``hyperparams``, create ``init_state`` and write ``update_one``."""

    #: names of the attributes :meth:`state_dict` saves (learning rates may change during training)
    hyperparams: tuple[str, ...] = ()
    #: True when ``update_one`` only combines arrays element by element (no norms, no reshapes): the
    #: update may then run on cache-sized row blocks of large parameters (see :mod:`.blocks`)
    elementwise: bool = False
    #: every :data:`FLUSH_EVERY`-th update runs in the backend's ``compute_scope()``: denormal floats
    #: flushed to zero where the backend can, the thread's mode restored after. Moments of gradients
    #: that are always zero decay into denormals and stay there (0.9 x the smallest rounds back to
    #: it), where CPU arithmetic is ~100x slower, slowing every epoch after the first
    #: (``bench_denormal.py``). One flushed update turns them into zeros, which stay zero; switching
    #: the mode on every update would cost ~2% of a small MLP's step. False keeps IEEE results below
    #: 1.2e-38.
    flush_denormal: bool = True
    FLUSH_EVERY = 16
    #: a replayed compiled training step (``dz.compile`` of a function that calls ``loss.backward()``
    #: then ``update()``; its first call, the trace, runs ``update()`` as eager mode does) updates each
    #: parameter as soon as its gradient is final, in the backward pass, and drops the gradient there:
    #: the step never holds every gradient at once (PyTorch's "optimizer in backward"), so its peak
    #: memory is about one gradient instead of all of them, and after every call of the step, the
    #: first included, ``param.grad`` is None. It does so only on steps where that equals
    #: ``update()`` (no hooks, which may need every gradient; no gradient from outside the graph; a
    #: step that calls ``cleargrads()``: one that does not adds to the gradients the previous call
    #: left, as in eager mode; see :mod:`dezero_core.static.update`); other steps keep the gradients
    #: and update at the end. False (read at every step) always keeps them: ``param.grad`` readable
    #: after each compiled step, at that memory cost.
    update_in_backward: bool = True

    def __init__(self) -> None:
        self.target: Any = None
        self.hooks: list[Hook] = []
        self.t = 0  # number of update() calls so far (Adam's bias correction counts them)
        self.state: dict[str, dict[str, Any]] = {}

    def setup(self, target: Any) -> "Optimizer":
        """Optimize the parameters of ``target`` (a Layer). Returns self."""
        self.target = target
        return self

    def add_hook(self, hook: Hook) -> None:
        """Run ``hook(params)`` before every update (e.g. ``WeightDecay``, ``ClipGrad``, ``FreezeParam``)."""
        self.hooks.append(hook)

    def update(self) -> None:
        """One step: run the hooks, then update every parameter that has a gradient, by name."""
        if trace_update is not None and trace_update(self):
            return
        self.apply_update(self.params_to_update())

    def params_to_update(self) -> list[tuple[str, Parameter]]:
        """The first half of :meth:`update`: the target's ``(name, parameter)`` pairs that have a
        gradient, checked (:meth:`check_update`), after the hooks ran (they may replace or drop
        gradients). Changes no parameter."""
        target = self.target
        if target is None:
            raise RuntimeError(f"{type(self).__name__}.update() before setup(target): call setup(model) first")
        named = target.named_param_list() if hasattr(target, "named_param_list") else list(target.named_params())
        named = [(name, p) for name, p in named if p._grad is not None]
        self.check_update(named)
        if self.hooks:
            params = [p for _, p in named]
            for hook in self.hooks:
                hook(params)
            named = [(name, p) for name, p in named if p._grad is not None]
        return named

    def apply_update(self, named: list[tuple[str, Parameter]],
                     spans: Mapping[str, tuple[int, int]] | None = None) -> None:
        """The second half of :meth:`update`: count the step and update the parameters ``named``
        from their gradients. With ``spans`` (``{name: (start, stop)}``, elementwise optimizers
        only), only the elements ``[start, stop)`` of each flattened parameter named there, and
        no other parameter (:meth:`update_span`): processes that share their parameters' memory
        each update a part of them (``dezero-mpi``'s sharded update)."""
        if spans is not None and not self.elementwise:
            raise ValueError(f"{type(self).__name__} is not elementwise: it cannot update part of a parameter")
        self.t += 1
        self.begin_step()
        if named and self.flush_denormal and self.t % self.FLUSH_EVERY == 1:
            with backend_of(named[0][1].data).compute_scope(flush_denormals=True):
                self._update_all(named, spans)
        else:
            self._update_all(named, spans)

    def _update_all(self, named: list[tuple[str, Parameter]], spans: Mapping[str, tuple[int, int]] | None) -> None:
        update_param = self.update_param if spans is None else None
        for name, param in named:
            grad = param._grad
            if isinstance(grad, Variable):  # a gradient kept as a graph (backward(create_graph=True))
                grad = grad.data
            if update_param is not None:
                update_param(name, param.data, grad)
            elif name in spans:
                self.update_span(name, param.data, grad, *spans[name])

    def update_span(self, name: str, data: Any, grad: Any, start: int, stop: int) -> None:
        """Update the elements ``[start, stop)`` of the flattened parameter array ``data`` (C order)
        in place from the same elements of ``grad``, with the same elements of its state, by blocks
        of :data:`~.blocks.BLOCK_ELEMENTS` (an elementwise update's arithmetic per element is that
        of :meth:`update_param`, so the parts make up the whole bit for bit). ``data``, ``grad`` and
        the state must be contiguous, so that their flat slices are views."""
        slots = self.slots_of(name, data)
        for what, array in (("parameter", data), ("gradient", grad), *slots.items()):
            if not getattr(getattr(array, "flags", None), "c_contiguous", True):  # its flat view would be a copy
                raise ValueError(f"{type(self).__name__}.update_span: the {what} of {name!r} is not C-contiguous, "
                                 f"so part of it cannot be updated in place; give it a contiguous copy")
        reshape = backend_of(data).xp.reshape
        flat_data = reshape(data, (-1,))[start:stop]
        flat_grad = reshape(grad, (-1,))[start:stop]
        flat_slots = {key: reshape(value, (-1,))[start:stop] for key, value in slots.items()}
        update_one = self.update_one
        for lo in range(0, stop - start, BLOCK_ELEMENTS):
            block = slice(lo, min(lo + BLOCK_ELEMENTS, stop - start))
            update_one(flat_data[block], flat_grad[block], {key: value[block] for key, value in flat_slots.items()})

    def update_param(self, name: str, data: Any, grad: Any) -> None:
        """Update one parameter's array ``data`` in place from the array ``grad``, with its state
        (created at its first update, moved to ``data``'s backend if the model moved), by row blocks
        where the update is elementwise. :meth:`update` calls it for each parameter after
        :meth:`begin_step`; a compiled training step calls it as soon as a gradient is final (see
        :attr:`update_in_backward`)."""
        slots = self.slots_of(name, data)
        blocks = blocks_of(data) if self.elementwise else None
        if blocks is None:
            self.update_one(data, grad, slots)
        else:
            update_one = self.update_one
            for rows in blocks:
                update_one(data[rows], grad[rows], {key: value[rows] for key, value in slots.items()})

    def slots_of(self, name: str, data: Any) -> dict[str, Any]:
        """The state of the parameter ``name`` whose array is ``data``: created at its first update,
        moved to ``data``'s backend if the model moved since."""
        slots = self.state.get(name)
        if slots is None:
            slots = self.state[name] = self.init_state(data)
        elif slots and type(next(iter(slots.values()))) is not type(data):
            _follow(slots, data)
        return slots

    def check_update(self, named: list[tuple[str, Parameter]]) -> None:
        """Raise before anything changes if a parameter cannot be updated in place: read-only (a
        broadcast view, a read-only memory map) or with a gradient of another shape. ``update()``
        calls it first, so an update is all or nothing: no parameter, state or step count moves."""
        for name, param in named:
            data, grad = param.data, param._grad
            if not getattr(getattr(data, "flags", None), "writeable", True):
                raise ValueError(f"{type(self).__name__}.update(): parameter {name!r} is read-only, so it cannot "
                                 f"be updated in place (nothing was updated); give it a writable copy, e.g. "
                                 f"param.data = param.data.copy()")
            if grad.shape != data.shape:
                raise ValueError(f"{type(self).__name__}.update(): the gradient of {name!r} has shape "
                                 f"{tuple(grad.shape)}, the parameter {tuple(data.shape)} (nothing was updated)")

    def begin_step(self) -> None:
        """Called once per :meth:`update`, after ``t`` is incremented and before the parameters."""

    def init_state(self, data: Any) -> dict[str, Any]:
        """The state of a parameter whose array is ``data``, before its first update (none by default)."""
        return {}

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        """Update the parameter array ``data`` in place from ``grad``, using and updating ``state``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_one")

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A copy of everything needed to resume: ``t``, the hyperparameters and every state array.

        ``{"type": class name, "t": int, "hyperparams": {name: value}, "state": {param name: {slot: array}}}``.
        """
        return {
            "type": type(self).__name__,
            "t": self.t,
            "hyperparams": {name: getattr(self, name) for name in self.hyperparams},
            "state": {name: {key: backend_of(a).xp.asarray(a, copy=True) for key, a in slots.items()}
                      for name, slots in self.state.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; state arrays go to each parameter's backend and dtype.

        Call :meth:`setup` first. Everything is checked first (:meth:`check_state_dict`): a state of
        another optimizer or another model raises and changes nothing.
        """
        params = self.check_state_dict(state)
        # the copies first: a copy that fails must leave the hyperparameters and step count as they were
        slots_by_name = {name: {key: copy_like(a, params[name].data) for key, a in slots.items()}
                         for name, slots in state["state"].items()}
        t = int(state["t"])
        for key, value in state["hyperparams"].items():
            setattr(self, key, value)
        self.t = t
        self.state = slots_by_name

    def check_state_dict(self, state: Mapping[str, Any]) -> dict[str, Parameter]:
        """Raise ValueError unless ``state`` is a state of this optimizer class for the target's
        parameters: its type, hyperparameter names, parameter names, slot names and slot shapes.
        Returns the target's parameters by name."""
        me = type(self).__name__
        if self.target is None:
            raise RuntimeError(f"{me}.load_state_dict() before setup(target): call setup(model) first")
        if not isinstance(state, Mapping) or not {"t", "hyperparams", "state"} <= state.keys():
            raise ValueError(f"{me}.load_state_dict: not an optimizer state (it needs t, hyperparams and state)")
        saved = state.get("type", me)
        if saved != me:
            raise ValueError(f"{me}.load_state_dict: the state is of a {saved} optimizer; build a {saved} "
                             f"to resume it, or start this {me} afresh")
        params = dict(self.target.named_params())
        unknown = sorted(set(state["state"]) - set(params))
        if unknown:
            raise ValueError(f"{me}.load_state_dict: the state has entries for parameters the "
                             f"target lacks: {', '.join(unknown)}; the target's parameters: {', '.join(params)}")
        unexpected = sorted(set(state["hyperparams"]) - set(self.hyperparams))
        if unexpected:
            raise ValueError(f"{me}.load_state_dict: unknown hyperparameters {', '.join(unexpected)}; "
                             f"this optimizer has {', '.join(self.hyperparams) or 'none'}")
        for name, slots in state["state"].items():
            data = params[name].data
            if data is None:
                continue
            fresh = self.init_state(data)
            if set(slots) != set(fresh):
                raise ValueError(f"{me}.load_state_dict: the state of {name!r} has slots {sorted(slots)}, "
                                 f"this optimizer keeps {sorted(fresh)}")
            for key, value in slots.items():
                if not is_array(value):
                    raise ValueError(f"{me}.load_state_dict: {name!r}'s {key} is a {type(value).__name__}, "
                                     f"not an array (a damaged or hand-made state)")
                if tuple(value.shape) != tuple(fresh[key].shape):
                    raise ValueError(f"{me}.load_state_dict: {name!r}'s {key} has shape {tuple(value.shape)}, "
                                     f"the parameter needs {tuple(fresh[key].shape)}")
        return params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)}' for n in self.hyperparams)})"


def _follow(slots: dict[str, Any], data: Any) -> None:
    """Move state arrays to ``data``'s backend when the model was moved (``Layer.to``) since the last step."""
    if backend_of(next(iter(slots.values()))) is not backend_of(data):
        target = backend_of(data).name
        for key, value in slots.items():
            slots[key] = move_array(value, target)


def zeros_like_all(data: Any, *slots: str) -> dict[str, Any]:
    """``{slot: zeros like data}`` for each slot name: the usual initial state."""
    xp = backend_of(data).xp
    return {slot: xp.zeros_like(data) for slot in slots}

