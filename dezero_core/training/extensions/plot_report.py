"""``PlotReport``: the loss/accuracy plot of the run, as a PNG."""
from __future__ import annotations

import os
from typing import Any

from dezero_core.hookspecs import hookimpl


class PlotReport:
    """Draw ``trainer.plot(path)`` when ``fit`` ends and, if ``every_epochs`` is set, after every that
    many epochs (each drawing costs a few tenths of a second of matplotlib)."""

    #: under data-parallel training (``Trainer(communicator=...)``), only rank 0 does it
    main_process_only = True

    def __init__(self, path: "str | os.PathLike[str]" = "report.png", every_epochs: int | None = None,
                 title: str = "") -> None:
        self.path = path
        self.every_epochs = every_epochs
        self.title = title

    @hookimpl
    def dezero_epoch_end(self, trainer: Any, epoch: int) -> None:
        if self.every_epochs and epoch % self.every_epochs == 0:
            trainer.plot(self.path, self.title)

    @hookimpl
    def dezero_fit_end(self, trainer: Any) -> None:
        if trainer.history:
            trainer.plot(self.path, self.title)
