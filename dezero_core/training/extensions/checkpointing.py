"""``Checkpoint``: save the whole training state, every epoch and optionally every N batches."""
from __future__ import annotations

import os
from typing import Any

from dezero_core.hookspecs import hookimpl


class Checkpoint:
    """Write ``trainer.save_checkpoint(path)`` after every ``every_epochs`` epochs and, when
    ``every_iterations`` is set, after every that many batches within an epoch.

    Each write replaces the file atomically: a crash or a full disk mid-write leaves the previous
    checkpoint intact. With ``keep_previous`` (the default) the checkpoint before the newest stays as
    ``<path>.prev``. Resume with ``trainer.load_checkpoint(path)`` then ``trainer.fit(epochs)``.
    """

    def __init__(self, path: "str | os.PathLike[str]" = "checkpoint.dzc", every_epochs: int | None = 1,
                 every_iterations: int | None = None, keep_previous: bool = True) -> None:
        for name, value in (("every_epochs", every_epochs), ("every_iterations", every_iterations)):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        self.path = path
        self.every_epochs = every_epochs
        self.every_iterations = every_iterations
        self.keep_previous = keep_previous

    @hookimpl
    def dezero_batch_end(self, trainer: Any, iteration: int) -> None:
        if self.every_iterations and iteration % self.every_iterations == 0:
            trainer.save_checkpoint(self.path, self.keep_previous)

    @hookimpl
    def dezero_epoch_end(self, trainer: Any, epoch: int) -> None:
        if self.every_epochs and epoch % self.every_epochs == 0:
            trainer.save_checkpoint(self.path, self.keep_previous)
