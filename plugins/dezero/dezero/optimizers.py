"""The book's ``dezero.optimizers``: ``SGD``, ``MomentumSGD``, ``AdaGrad``, ``AdaDelta``, ``Adam`` and
the hooks ``WeightDecay``, ``ClipGrad``, ``FreezeParam`` (``optimizer.add_hook(hook)``; the hooks are
in ``optimizer.hooks``).

They are dezero_core's: updates happen in place and per-parameter state is keyed by the parameter's
name. ``Adam`` takes the book's ``alpha`` as its learning rate ``lr`` (first argument either way).
``Optimizer`` is the base class for an optimizer written as in the book, with
``update_one(self, param)``; dezero_core's optimizers count as instances of it too.
"""
from __future__ import annotations

from abc import ABCMeta
from typing import Any

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.graph.variable import Parameter
from dezero_core.optimizers import (
    SGD, AdaDelta, AdaGrad, Adam, ClipGrad, FreezeParam, MomentumSGD, WeightDecay,
)
from dezero_core.optimizers import Optimizer as _CoreOptimizer

__all__ = [
    "AdaDelta", "AdaGrad", "Adam", "ClipGrad", "FreezeParam", "MomentumSGD", "Optimizer", "SGD",
    "WeightDecay",
]


class Optimizer(_CoreOptimizer, metaclass=ABCMeta):
    """The book's base class: ``setup(model)``, then ``update()`` after each backward.

    A subclass writes ``update_one(self, param)`` and changes ``param.data`` from ``param.grad``, as
    in the book. ``update`` runs the hooks on the parameters that have a gradient, then
    ``update_one`` on those that still have one.
    """

    @classmethod
    def __subclasshook__(cls, candidate: type) -> Any:
        # dezero_core's optimizers (SGD, Adam...) are book optimizers too
        if cls is Optimizer and issubclass(candidate, _CoreOptimizer):
            return True
        return NotImplemented

    def update(self) -> None:
        """One step: the hooks, then ``update_one(param)`` for every parameter with a gradient."""
        if self.target is None:
            raise RuntimeError(f"{type(self).__name__}.update() before setup(target): call setup(model) first")
        params = [p for p in self.target.params() if p.grad is not None]
        for hook in self.hooks:
            hook(params)
        self.t += 1
        for param in params:
            if param.grad is not None:  # a hook (FreezeParam) may have dropped it
                self.update_one(param)

    def update_one(self, param: Parameter) -> None:  # type: ignore[override]
        """Update ``param.data`` in place from ``param.grad``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_one(param)")


__getattr__, __dir__ = lazy_module_attributes("dezero.optimizers", __all__)
