"""Trainer extensions, registered under ``dezero.extensions``: each implements some hooks of
:mod:`dezero_core.hookspecs` and is passed to ``Trainer(extensions=[...])``."""
from dezero_core.training.extensions.checkpointing import Checkpoint
from dezero_core.training.extensions.early_stopping import EarlyStopping
from dezero_core.training.extensions.plot_report import PlotReport
from dezero_core.training.extensions.progress import ProgressBar
from dezero_core.training.extensions.schedules import CosineAnnealingLR, ExponentialLR, LRSchedule, StepLR

__all__ = ["Checkpoint", "CosineAnnealingLR", "EarlyStopping", "ExponentialLR", "LRSchedule", "PlotReport",
           "ProgressBar", "StepLR"]
