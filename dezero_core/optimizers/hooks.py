"""Optimizer hooks: ``WeightDecay``, ``ClipGrad`` and ``FreezeParam``.

A hook is any callable ``hook(params)`` run by ``Optimizer.update`` before the update, with the
parameters that have a gradient (the book's protocol). These replace gradients rather than modify
them in place: a gradient array may be shared with another parameter's (``y = a + b`` gives both
the same one).
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.graph.variable import Parameter, Variable


def _grad_array(param: Parameter) -> Any:
    g = param._grad
    return g.data if isinstance(g, Variable) else g


class WeightDecay:
    """L2 regularization: ``g += rate * p`` (the gradient of ``rate/2 * ||p||²``)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, params: list[Parameter]) -> None:
        for param in params:
            param.grad = _grad_array(param) + self.rate * param.data


class ClipGrad:
    """Scale every gradient by ``max_norm / total_norm`` when their joint L2 norm exceeds ``max_norm``."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = max_norm

    def __call__(self, params: list[Parameter]) -> None:
        total = 0.0
        for param in params:
            g = _grad_array(param)
            total += float(backend_of(g).xp.sum(g * g))
        rate = self.max_norm / (math.sqrt(total) + 1e-6)
        if rate < 1.0:
            for param in params:
                param.grad = _grad_array(param) * rate


class FreezeParam:
    """Keep the given layers' or parameters' values fixed: their gradients are dropped before updates."""

    def __init__(self, *targets: Any) -> None:
        # the parameters themselves, not their ids: a saved training step keeps them (ids are per process)
        self.params: list[Parameter] = []
        for target in targets:
            self.params += [target] if isinstance(target, Parameter) else list(target.params())

    def __call__(self, params: list[Parameter]) -> None:
        frozen = {id(p) for p in self.params}
        for param in params:
            if id(param) in frozen:
                param.cleargrad()
