"""Trainer extensions: objects implementing some hooks of :mod:`dezero_core.hookspecs`, passed to
``Trainer(extensions=[...])`` (as objects or by their registered names).

The built-ins are listed once, as dezero-core's ``dezero.extensions`` entry points; every name,
built-in or a plugin's, is an attribute here, looked up there on first access (see
:mod:`dezero_core.discovery.lazy`). The imports under ``TYPE_CHECKING`` are for IDEs and type checkers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.training.extensions.schedules import LRSchedule

if TYPE_CHECKING:
    from dezero_core.training.extensions.checkpointing import Checkpoint
    from dezero_core.training.extensions.early_stopping import EarlyStopping
    from dezero_core.training.extensions.plot_report import PlotReport
    from dezero_core.training.extensions.progress import ProgressBar
    from dezero_core.training.extensions.schedules import CosineAnnealingLR, ExponentialLR, StepLR

__getattr__, __dir__ = lazy_module_attributes("dezero.extensions", ["LRSchedule"], namespace=globals())
