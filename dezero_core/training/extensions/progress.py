"""``ProgressBar``: a tqdm bar per epoch with the running loss and accuracy, and a line per epoch."""
from __future__ import annotations

import sys
import time
from typing import IO, Any

from dezero_core.hookspecs import hookimpl


class ProgressBar:
    """Show training progress on ``file`` (stderr by default).

    During an epoch, on a terminal: a bar over its batches with the running mean loss and accuracy
    (refreshed at most every ``min_interval`` seconds, so it costs next to nothing per batch). After
    it, on a terminal or not: one line with the epoch's train and test loss and accuracy and its
    duration.
    """

    #: under data-parallel training (``Trainer(communicator=...)``), only rank 0 does it
    main_process_only = True

    def __init__(self, file: IO[str] | None = None, min_interval: float = 0.1) -> None:
        self.file = file
        self.min_interval = min_interval
        self._bar: Any = None
        self._total = 0
        self._started = 0.0
        self._refreshed = 0.0

    @hookimpl
    def dezero_fit_start(self, trainer: Any, epochs: int) -> None:
        self._total = trainer.epoch + epochs

    @hookimpl
    def dezero_epoch_start(self, trainer: Any, epoch: int) -> None:
        from tqdm.auto import tqdm

        self._started = self._refreshed = time.perf_counter()
        loader = trainer.train_loader
        self._bar = tqdm(total=len(loader) if hasattr(loader, "__len__") else None, initial=trainer.iteration, unit="batch",
                         desc=f"epoch {epoch}/{self._total}", leave=False, file=self.file or sys.stderr,
                         dynamic_ncols=True, mininterval=self.min_interval,
                         disable=None)  # drawn on a terminal only: in a log, redraws are noise

    @hookimpl
    def dezero_batch_end(self, trainer: Any) -> None:
        bar = self._bar
        bar.update(1)
        now = time.perf_counter()
        if now - self._refreshed >= self.min_interval:
            self._refreshed = now
            bar.set_postfix_str(_format(trainer.running_means()), refresh=False)

    @hookimpl
    def dezero_epoch_end(self, trainer: Any, epoch: int, record: dict[str, float]) -> None:
        self._close()
        seconds = time.perf_counter() - self._started
        from tqdm.auto import tqdm

        tqdm.write(f"epoch {epoch}/{self._total}  {_format(record)}  ({seconds:.2f} s)",
                   file=self.file or sys.stderr)

    @hookimpl
    def dezero_fit_end(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _format(values: dict[str, Any]) -> str:
    """``train loss 0.1234 acc 0.9650 | test loss ...`` from a record's ``<split>_<metric>`` keys."""
    parts = []
    for split in ("train", "test"):
        fields = [f"{short} {values[f'{split}_{metric}']:.4f}"
                  for metric, short in (("loss", "loss"), ("accuracy", "acc")) if f"{split}_{metric}" in values]
        if fields:
            parts.append(f"{split} " + " ".join(fields))
    return " | ".join(parts)
