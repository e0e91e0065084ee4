"""Training: the ``Trainer``, its extensions, checkpoints, and the ``dezero train`` command."""
from dezero_core.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from dezero_core.training.extensions import (
    Checkpoint, CosineAnnealingLR, EarlyStopping, ExponentialLR, LRSchedule, PlotReport, ProgressBar, StepLR,
)
from dezero_core.training.trainer import Trainer

__all__ = ["Checkpoint", "CheckpointError", "CosineAnnealingLR", "EarlyStopping", "ExponentialLR", "LRSchedule",
           "PlotReport", "ProgressBar", "StepLR", "Trainer", "load_checkpoint", "save_checkpoint"]
