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
from dezero_core.graph.transfer import move_array
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.serialization import copy_like

#: a hook runs before every update with the parameters that have a gradient; it may replace or drop
#: (set to None) their gradients. Plain callables, as in the book.
Hook = Callable[[list[Parameter]], None]


class Optimizer:
    """Base class: subclasses list their ``hyperparams``, create ``init_state`` and write ``update_one``."""

    #: names of the attributes :meth:`state_dict` saves (learning rates may change during training)
    hyperparams: tuple[str, ...] = ()

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
        if self.target is None:
            raise RuntimeError(f"{type(self).__name__}.update() before setup(target): call setup(model) first")
        named = [(name, p) for name, p in self.target.named_params() if p._grad is not None]
        if self.hooks:
            params = [p for _, p in named]
            for hook in self.hooks:
                hook(params)
            named = [(name, p) for name, p in named if p._grad is not None]
        self.t += 1
        for name, param in named:
            grad = param._grad
            if isinstance(grad, Variable):
                grad = grad.data
            self.update_one(param.data, grad, self._state_of(name, param.data))

    def _state_of(self, name: str, data: Any) -> dict[str, Any]:
        state = self.state.get(name)
        if state is None:
            state = self.state[name] = self.init_state(data)
        elif state:
            first = next(iter(state.values()))
            if type(first) is not type(data) and backend_of(first) is not backend_of(data):
                # the model was moved to another backend (Layer.to) since the last step
                target = backend_of(data).name
                for key, value in state.items():
                    state[key] = move_array(value, target)
        return state

    def init_state(self, data: Any) -> dict[str, Any]:
        """The state of a parameter whose array is ``data``, before its first update (none by default)."""
        return {}

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        """Update the parameter array ``data`` in place from ``grad``, using and updating ``state``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_one")

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A copy of everything needed to resume: ``t``, the hyperparameters and every state array.

        ``{"t": int, "hyperparams": {name: value}, "state": {param name: {slot: array}}}``.
        """
        return {
            "t": self.t,
            "hyperparams": {name: getattr(self, name) for name in self.hyperparams},
            "state": {name: {key: backend_of(a).xp.asarray(a, copy=True) for key, a in slots.items()}
                      for name, slots in self.state.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; state arrays go to each parameter's backend and dtype.

        Call :meth:`setup` first: state names are checked against the target's parameter names.
        """
        if self.target is None:
            raise RuntimeError(f"{type(self).__name__}.load_state_dict() before setup(target): call setup(model) first")
        params = dict(self.target.named_params())
        unknown = sorted(set(state["state"]) - set(params))
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state has entries for parameters the "
                             f"target lacks: {', '.join(unknown)}; the target's parameters: {', '.join(params)}")
        unexpected = sorted(set(state["hyperparams"]) - set(self.hyperparams))
        if unexpected:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unknown hyperparameters {', '.join(unexpected)}; "
                             f"this optimizer has {', '.join(self.hyperparams) or 'none'}")
        for key, value in state["hyperparams"].items():
            setattr(self, key, value)
        self.t = int(state["t"])
        self.state = {name: {key: copy_like(a, params[name].data) for key, a in slots.items()}
                      for name, slots in state["state"].items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)}' for n in self.hyperparams)})"


def zeros_like_all(data: Any, *slots: str) -> dict[str, Any]:
    """``{slot: zeros like data}`` for each slot name: the usual initial state."""
    xp = backend_of(data).xp
    return {slot: xp.zeros_like(data) for slot in slots}

