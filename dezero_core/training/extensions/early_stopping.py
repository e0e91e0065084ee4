"""``EarlyStopping``: end ``fit`` when a monitored value stops improving."""
from __future__ import annotations

import math
from typing import Any

from dezero_core.hookspecs import hookimpl


class EarlyStopping:
    """Stop training after ``patience`` epochs without an improvement of ``monitor`` by more than
    ``min_delta``.

    ``monitor`` is a key of the epoch record (``test_loss``, ``test_accuracy``, ``train_loss``...);
    ``mode`` is ``"min"`` or ``"max"``, by default ``"max"`` for accuracies and ``"min"`` otherwise.
    """

    def __init__(self, monitor: str = "test_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str | None = None) -> None:
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}")
        mode = mode or ("max" if "accuracy" in monitor else "min")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0
        self.stopped_epoch: int | None = None

    @hookimpl
    def dezero_epoch_end(self, trainer: Any, epoch: int, record: dict[str, float]) -> None:
        if self.monitor not in record:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, which the epoch record lacks; "
                           f"it has: {', '.join(sorted(record))}")
        value = record[self.monitor]
        better = value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta
        if better:
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def state_dict(self) -> dict[str, Any]:
        """The best value so far and the epochs waited (kept in checkpoints)."""
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.best, self.wait, self.stopped_epoch = state["best"], state["wait"], state["stopped_epoch"]
