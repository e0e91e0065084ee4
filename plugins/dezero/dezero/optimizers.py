"""The book's ``dezero.optimizers``: ``SGD``, ``MomentumSGD``, ``AdaGrad``, ``AdaDelta``, ``Adam`` and
the hooks ``WeightDecay``, ``ClipGrad``, ``FreezeParam`` (``optimizer.add_hook(hook)``; the hooks are
in ``optimizer.hooks``).

They are dezero_core's: updates happen in place and per-parameter state is keyed by the parameter's
name. ``Adam`` is the book's: ``alpha`` is the learning rate and ``lr`` the bias-corrected step size
of the current step, ``alpha * sqrt(1 - beta2**t) / (1 - beta1**t)`` (dezero_core's ``Adam`` calls
the rate ``lr`` and the step size ``step_size()``). ``Optimizer`` is the base class for an optimizer written as in the book, with
``update_one(self, param)``; dezero_core's optimizers count as instances of it too.
"""
from __future__ import annotations

import math
from abc import ABCMeta
from typing import Any

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.graph.variable import Parameter
from dezero_core.optimizers import SGD, AdaDelta, AdaGrad, ClipGrad, FreezeParam, MomentumSGD, WeightDecay
from dezero_core.optimizers import Adam as _CoreAdam
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


class Adam(_CoreAdam):
    """The book's Adam: ``Adam(alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8)``.

    ``alpha`` is the learning rate (a schedule changes it); ``lr`` is read-only, the step size of
    the current step ``t``. The update is dezero_core's Adam's.
    """

    hyperparams = ("alpha", "beta1", "beta2", "eps")

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        # (not dezero_core's __init__, which sets lr: here lr is computed)
        _CoreOptimizer.__init__(self)
        self.alpha = alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    @property
    def lr(self) -> float:
        """``alpha * sqrt(1 - beta2**t) / (1 - beta1**t)``: the bias-corrected step size of step ``t``."""
        fix1 = 1.0 - self.beta1 ** self.t
        if fix1 == 0.0:
            raise ZeroDivisionError(f"Adam.lr is the step size of step t (alpha * sqrt(1 - beta2**t) / "
                                    f"(1 - beta1**t)), undefined at t={self.t} (beta1={self.beta1}), before "
                                    f"the first update(); the learning rate is Adam.alpha ({self.alpha})")
        return self.alpha * math.sqrt(1.0 - self.beta2 ** self.t) / fix1

    def step_size(self) -> float:
        """:attr:`lr` (dezero_core's name)."""
        return self.lr


__getattr__, __dir__ = lazy_module_attributes("dezero.optimizers", __all__)
