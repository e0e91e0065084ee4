"""Trainer and denormals: fit and evaluate flush them by default and restore the thread's mode after."""
from __future__ import annotations

from typing import Callable, Iterator

import pytest

from dezero_core import flushing_denormals
from dezero_core.backend import get_backend
from dezero_core.hookspecs import hookimpl
from training_setup import digits_trainer


class ModeRecorder:
    """An extension recording whether the thread flushes denormals at each batch and epoch end."""

    def __init__(self, flushing: Callable[[], bool], fail_at_batch: int | None = None) -> None:
        self.flushing, self.fail_at_batch, self.seen = flushing, fail_at_batch, []

    @hookimpl
    def dezero_batch_end(self, iteration):
        self.seen.append(self.flushing())
        if iteration == self.fail_at_batch:
            raise RuntimeError(f"stopped at batch {iteration}")


@pytest.fixture
def flushing() -> Iterator[Callable[[], bool]]:
    """Whether this thread flushes, with the numpy backend computing exactly in it during the test
    (its mode restored after)."""
    from dezero_numpy import denormals

    with get_backend("numpy").compute_scope(flush_denormals=False) as supported:
        if not supported:
            pytest.skip(denormals.unsupported_reason())
        yield denormals.is_flushing


def test_fit_flushes_denormals_while_training_and_restores_the_mode_after(flushing: Callable[[], bool]) -> None:
    recorder = ModeRecorder(flushing)
    trainer = digits_trainer(train_size=64, test=False, extensions=[recorder], backend="numpy")
    trainer.fit(1)
    assert recorder.seen == [True, True]  # 64 samples, batches of 32
    assert flushing() is False


def test_fit_restores_a_flushing_mode_the_user_had_set(flushing: Callable[[], bool]) -> None:
    with flushing_denormals(backend="numpy"):
        digits_trainer(train_size=64, test=False, backend="numpy").fit(1)
        assert flushing() is True
    assert flushing() is False


def test_fit_restores_the_mode_when_an_extension_raises(flushing: Callable[[], bool]) -> None:
    trainer = digits_trainer(train_size=64, test=False, backend="numpy",
                             extensions=[ModeRecorder(flushing, fail_at_batch=1)])
    with pytest.raises(RuntimeError, match="stopped at batch 1"):
        trainer.fit(1)
    assert flushing() is False


def test_evaluate_flushes_denormals_and_restores_the_mode_after(flushing: Callable[[], bool]) -> None:
    trainer = digits_trainer(train_size=64, backend="numpy")
    seen = []
    loss_fn = trainer.loss_fn
    trainer.loss_fn = lambda y, t: (seen.append(flushing()), loss_fn(y, t))[1]
    trainer.evaluate(trainer.test_loader)
    assert seen and set(seen) == {True}
    assert flushing() is False


@pytest.mark.parametrize("user_mode", [False, True])
def test_flush_denormal_false_leaves_the_users_mode_alone(flushing: Callable[[], bool], user_mode: bool) -> None:
    recorder = ModeRecorder(flushing)
    trainer = digits_trainer(train_size=64, backend="numpy", extensions=[recorder], flush_denormal=False)
    with flushing_denormals(user_mode, backend="numpy"):
        trainer.fit(1)
        assert flushing() is user_mode
    assert recorder.seen == [user_mode, user_mode]
