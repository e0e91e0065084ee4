"""Optimizers and their hooks. Built-ins are plain attributes; plugin optimizers are looked up by
name in the ``dezero.optimizers`` entry-point group on first access."""
from __future__ import annotations

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.optimizers.adam import Adam, AdamW
from dezero_core.optimizers.adaptive import AdaDelta, AdaGrad, RMSProp
from dezero_core.optimizers.hooks import ClipGrad, FreezeParam, WeightDecay
from dezero_core.optimizers.optimizer import Optimizer
from dezero_core.optimizers.sgd import SGD, MomentumSGD, Nesterov

__all__ = [
    "AdaDelta", "AdaGrad", "Adam", "AdamW", "ClipGrad", "FreezeParam", "MomentumSGD", "Nesterov", "Optimizer",
    "RMSProp", "SGD", "WeightDecay",
]

__getattr__, __dir__ = lazy_module_attributes("dezero.optimizers", __all__)
