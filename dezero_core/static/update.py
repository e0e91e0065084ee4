"""The ``update`` node's replay: ``optimizer.update()`` without the look-ups a replay already knows.

Eager ``Optimizer.update()`` lists the target's parameters, keeps those holding a gradient, checks
each one (writable, a gradient of the parameter's shape), runs the hooks, counts the step, and then
updates every parameter. In a replayed step most of that is settled: the guards fixed each
parameter's array type, shape and dtype, and the graph's ``set_grad`` nodes just gave exactly the
parameters they name a gradient of that shape. :class:`PreparedUpdate` therefore runs the full
``update()`` once, remembers what it updated, and on later steps counts the step and updates those
parameters directly, as long as nothing it relied on changed:

- the optimizer has no hooks (they may replace or drop gradients: the full path runs them);
- the step is not one of the optimizer's denormal-flushing steps (``flush_denormal``, every
  ``FLUSH_EVERY``-th: the full path runs those, in the backend's compute scope);
- the optimizer class keeps the base class's ``update`` (a wrapper such as the MPI one is always
  called in full);
- the target's parameter list is the same object (it is rebuilt when the model's structure
  changes), each parameter holds the array it held then (a new array may be read-only), and the
  parameters holding a gradient are exactly the ones this graph gives one.

Anything else runs the full ``update()`` and prepares again: the optimizer's state (``t``, moments,
hooks' effects) advances exactly as in eager mode either way.
"""
from __future__ import annotations

from typing import Any

from dezero_core.optimizers.optimizer import Optimizer


class PreparedUpdate:
    """``optimizer.update()`` for a graph whose ``set_grad`` nodes write the gradients of ``fed``."""

    def __init__(self, optimizer: Any, fed: list[Any]) -> None:
        self.optimizer = optimizer
        self.fed = {id(p) for p in fed}
        # the fast path only stands in for the base class's update(): a subclass's own is always called
        self.preparable = isinstance(optimizer, Optimizer) and type(optimizer).update is Optimizer.update
        self._params: Any = None  # the target's (name, parameter) list the preparation saw
        self._named: list[tuple[str, Any]] = []  # the pairs update() updates
        self._arrays: list[tuple[Any, Any, bool]] = []  # (parameter, its array, given a gradient here)

    def __call__(self) -> None:
        optimizer = self.optimizer
        if not self._ready(optimizer):
            optimizer.update()
            self._prepare(optimizer)
            return
        optimizer.t += 1
        optimizer.begin_step()
        optimizer._update_all(self._named)

    def _ready(self, optimizer: Any) -> bool:
        if self._params is None or optimizer.hooks:
            return False
        if optimizer.flush_denormal and (optimizer.t + 1) % optimizer.FLUSH_EVERY == 1:
            return False
        if optimizer.target.named_param_list() is not self._params:
            return False
        for param, data, fed in self._arrays:
            if param.data is not data or (param._grad is not None) is not fed:
                return False
        return True

    def _prepare(self, optimizer: Any) -> None:
        target = optimizer.target
        if not self.preparable or not hasattr(target, "named_param_list"):
            return
        params = target.named_param_list()
        fed = self.fed
        if any((p._grad is not None) is not (id(p) in fed) for _, p in params):
            self._params = None  # a gradient from outside the graph (or one missing): always in full
            return
        self._params = params
        self._named = [(name, p) for name, p in params if id(p) in fed]
        self._arrays = [(p, p.data, id(p) in fed) for _, p in params]
