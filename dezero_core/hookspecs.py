"""The behaviour hooks: the whole plugin contract for code that reacts to what the framework does.

What a plugin *adds* (a backend, a function, a layer, a dataset...) it declares through entry points
(see docs/architecture.md). What a plugin *does* while the framework runs, it does by implementing the
hooks below, with ``@dezero_core.hookimpl``, in a module registered under the ``dezero.plugins``
entry-point group, or in a Trainer extension object (then only for that trainer).

Every hook is optional; implement only the ones you need, with any subset of the arguments.
"""
from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "dezero"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def dezero_configure(register_flag: Any) -> None:
    """Called once, when the plugin manager first loads the ``dezero.plugins`` modules.

    ``register_flag(name, default)`` declares a configuration flag that ``using_config`` accepts.
    """


@hookspec
def dezero_fit_start(trainer: Any, epochs: int) -> None:
    """``Trainer.fit`` is about to run ``epochs`` epochs (after a resume, the remaining ones)."""


@hookspec
def dezero_epoch_start(trainer: Any, epoch: int) -> None:
    """Epoch ``epoch`` (counted from 1) starts."""


@hookspec
def dezero_before_update(trainer: Any, epoch: int, iteration: int, loss: Any) -> None:
    """The batch's gradients are computed and not yet applied: ``loss.backward()`` has run, the
    optimizer's ``update()`` comes next. Read, log or change the gradients of
    ``trainer.model.params()`` in place here (gradient norms, clipping); ``iteration`` counts the
    batch from 1 within the epoch, ``loss`` is the batch's loss Variable."""


@hookspec
def dezero_batch_end(trainer: Any, epoch: int, iteration: int, loss: float, accuracy: float | None,
                     batch_size: int) -> None:
    """One optimizer step finished: the batch's mean ``loss`` and ``accuracy`` (None if not computed)."""


@hookspec
def dezero_epoch_end(trainer: Any, epoch: int, record: dict[str, float]) -> None:
    """Epoch ``epoch`` finished; ``record`` holds its train/test loss and accuracy (also appended to
    ``trainer.history``). An extension may set ``trainer.stop_training = True`` to end ``fit``."""


@hookspec
def dezero_fit_end(trainer: Any) -> None:
    """``Trainer.fit`` returns (after the last epoch, early stopping, or an exception)."""
