"""Every 16th optimizer update runs in the backend's compute scope: denormals flushed (where the
backend can), the thread left as it was.

Adam's first moment of a gradient that is always zero decays by beta1 per step into the float32
denormals and stays there; flushed, it reaches zero.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np
import pytest

import dezero_core as dz
from dezero_core.backend import backend_names, get_backend
from dezero_core.layers import Layer
from dezero_core.optimizers import SGD, Adam


class One(Layer):
    def __init__(self, backend: str = "numpy") -> None:
        super().__init__()
        self.p = dz.Parameter(get_backend(backend).asarray(np.ones(3, dtype=np.float32)), name="p")


class Recording(SGD):
    """SGD that records whether the thread flushed denormals during its update."""

    seen: list[bool]

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        from dezero_numpy.denormals import is_flushing

        self.seen.append(is_flushing())
        super().update_one(data, grad, state)


@pytest.fixture
def numpy_exact() -> Iterator[Callable[[], bool]]:
    """Whether this thread flushes, with the numpy backend computing exactly in it during the test
    (its mode restored after)."""
    from dezero_numpy import denormals

    if denormals.unsupported_reason() is not None:
        pytest.skip(denormals.unsupported_reason())
    with get_backend("numpy").compute_scope(flush_denormals=False):
        yield denormals.is_flushing


def _step(optimizer: Any, model: Layer) -> None:
    model.p.grad = np.zeros(3, dtype=np.float32)
    optimizer.update()


@pytest.mark.parametrize("flush", [None, True, False])
def test_updates_flush_by_default_or_when_asked_and_restore_the_thread(numpy_exact: Callable[[], bool], flush: bool | None) -> None:
    model = One()
    optimizer = Recording(0.1).setup(model)
    if flush is not None:
        optimizer.flush_denormal = flush
    optimizer.seen = []
    _step(optimizer, model)
    assert optimizer.seen == [flush is not False]
    assert numpy_exact() is False


def test_a_flushing_thread_still_flushes_after_an_update(numpy_exact: Callable[[], bool]) -> None:
    model = One()
    optimizer = Recording(0.1).setup(model)
    optimizer.seen = []
    with dz.flushing_denormals(backend="numpy"):
        _step(optimizer, model)
        assert numpy_exact() is True
    assert optimizer.seen == [True]


def test_adams_moment_of_a_zero_gradient_reaches_zero_instead_of_a_denormal(numpy_exact: Callable[[], bool]) -> None:
    tiny = np.finfo(np.float32).tiny
    results = {}
    for flush in (True, False):
        model = One()
        optimizer = Adam().setup(model)
        optimizer.flush_denormal = flush
        model.p.grad = np.ones(3, dtype=np.float32)
        optimizer.update()
        for _ in range(900):  # 0.1 * 0.9**900 is far below float32's smallest normal number
            _step(optimizer, model)
        results[flush] = optimizer.state["p"]["m"]
    assert np.all(results[True] == 0)
    assert np.all((results[False] != 0) & (np.abs(results[False]) < tiny))  # stuck in the denormals


@pytest.mark.skipif("strict" not in backend_names(), reason="needs the strict test backend (dezero-strict)")
def test_a_backend_without_flushing_updates_as_usual() -> None:
    model = One("strict")
    optimizer = SGD(0.5).setup(model)
    model.p.grad = get_backend("strict").asarray(np.ones(3, dtype=np.float32))
    optimizer.update()
    assert get_backend("strict").to_host(model.p.data).tolist() == [0.5, 0.5, 0.5]


def test_every_sixteenth_update_flushes(numpy_exact: Callable[[], bool]) -> None:
    # one flushed update turns stuck denormals into zeros; switching the mode on every update would
    # cost more than it saves on a small model
    model = One()
    optimizer = Recording(0.1).setup(model)
    optimizer.seen = []
    for _ in range(33):
        _step(optimizer, model)
    assert [t + 1 for t, flushed in enumerate(optimizer.seen) if flushed] == [1, 17, 33]
