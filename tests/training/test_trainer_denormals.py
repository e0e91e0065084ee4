"""Trainer and denormals: fit and evaluate flush them by default and restore the thread's mode after."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from dezero_core import flushing_denormals
from dezero_core.backend import get_backend
from dezero_core.hookspecs import hookimpl
from training_setup import digits_trainer


class ModeRecorder:
    """An extension recording whether the thread flushes denormals at each batch and epoch end."""

    def __init__(self, backend: Any, fail_at_batch: int | None = None) -> None:
        self.backend, self.fail_at_batch, self.seen = backend, fail_at_batch, []

    @hookimpl
    def dezero_batch_end(self, iteration):
        self.seen.append(self.backend.get_flush_denormal())
        if iteration == self.fail_at_batch:
            raise RuntimeError(f"stopped at batch {iteration}")


@pytest.fixture
def numpy_backend() -> Iterator[Any]:
    """The numpy backend, with this thread not flushing during the test and its mode restored after."""
    backend = get_backend("numpy")
    with flushing_denormals(False, backend) as supported:
        if not supported:
            from dezero_numpy.denormals import unsupported_reason

            pytest.skip(unsupported_reason())
        yield backend


def test_fit_flushes_denormals_while_training_and_restores_the_mode_after(numpy_backend: Any) -> None:
    recorder = ModeRecorder(numpy_backend)
    trainer = digits_trainer(train_size=64, test=False, extensions=[recorder], backend="numpy")
    trainer.fit(1)
    assert recorder.seen == [True, True]  # 64 samples, batches of 32
    assert numpy_backend.get_flush_denormal() is False


def test_fit_restores_a_flushing_mode_the_user_had_set(numpy_backend: Any) -> None:
    numpy_backend.set_flush_denormal(True)
    digits_trainer(train_size=64, test=False, backend="numpy").fit(1)
    assert numpy_backend.get_flush_denormal() is True


def test_fit_restores_the_mode_when_an_extension_raises(numpy_backend: Any) -> None:
    trainer = digits_trainer(train_size=64, test=False, backend="numpy",
                             extensions=[ModeRecorder(numpy_backend, fail_at_batch=1)])
    with pytest.raises(RuntimeError, match="stopped at batch 1"):
        trainer.fit(1)
    assert numpy_backend.get_flush_denormal() is False


def test_evaluate_flushes_denormals_and_restores_the_mode_after(numpy_backend: Any) -> None:
    trainer = digits_trainer(train_size=64, backend="numpy")
    seen = []
    loss_fn = trainer.loss_fn
    trainer.loss_fn = lambda y, t: (seen.append(numpy_backend.get_flush_denormal()), loss_fn(y, t))[1]
    trainer.evaluate(trainer.test_loader)
    assert seen and set(seen) == {True}
    assert numpy_backend.get_flush_denormal() is False


@pytest.mark.parametrize("user_mode", [False, True])
def test_flush_denormal_false_leaves_the_users_mode_alone(numpy_backend: Any, user_mode: bool) -> None:
    numpy_backend.set_flush_denormal(user_mode)
    recorder = ModeRecorder(numpy_backend)
    trainer = digits_trainer(train_size=64, backend="numpy", extensions=[recorder], flush_denormal=False)
    trainer.fit(1)
    assert recorder.seen == [user_mode, user_mode]
    assert numpy_backend.get_flush_denormal() is user_mode
