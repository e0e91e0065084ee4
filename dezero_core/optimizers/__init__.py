"""Optimizers and their hooks (``dezero_core.optimizers.Adam``...).

The built-ins are listed once, as dezero-core's ``dezero.optimizers`` entry points; every name,
built-in or a plugin's, is looked up there on first access, so the attribute and the registry agree
(see :mod:`dezero_core.discovery.lazy`). The imports under ``TYPE_CHECKING`` are for IDEs and type
checkers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero_core.discovery.lazy import lazy_module_attributes

if TYPE_CHECKING:
    from dezero_core.optimizers.adam import Adam, AdamW
    from dezero_core.optimizers.adaptive import AdaDelta, AdaGrad, RMSProp
    from dezero_core.optimizers.hooks import ClipGrad, FreezeParam, WeightDecay
    from dezero_core.optimizers.optimizer import Optimizer
    from dezero_core.optimizers.sgd import SGD, MomentumSGD, Nesterov

__getattr__, __dir__ = lazy_module_attributes("dezero.optimizers", [], namespace=globals())
