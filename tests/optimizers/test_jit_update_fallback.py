"""Without numba (or with ``dezero_numpy.jit_kernels`` switched off) the numpy backend offers no
compiled optimizer kernel, and a compiled training step updates with numpy's kernel, as eager
``update()`` does, to the bit. Runs whether or not numba is installed (it hides it)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.backend.selection import backend_of
from dezero_core.models import MLP
from dezero_core.optimizers import AdamW
from dezero_numpy import jit_kernels

DATA = [(np.random.default_rng(i).standard_normal((4, 30)).astype(np.float32),
         np.random.default_rng(i).integers(0, 3, 4)) for i in range(4)]


@pytest.fixture
def no_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jit_kernels, "_kernels", None)
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError


def test_without_numba_the_backend_offers_no_jit_kernel(no_numba):
    backend = backend_of(np.zeros(1))
    assert backend.optimizer_kernel("jit:adam") is None
    assert backend.optimizer_kernel("jit:adamw") is None
    assert backend.optimizer_kernel("adam") is not None  # numpy's own kernel stays


def test_switched_off_the_backend_offers_no_jit_kernel(monkeypatch):
    monkeypatch.setattr(jit_kernels, "ENABLED", False)
    assert backend_of(np.zeros(1)).optimizer_kernel("jit:adam") is None


def test_unknown_names_have_no_jit_kernel():
    assert backend_of(np.zeros(1)).optimizer_kernel("jit:sgd") is None


def training_step(model, optimizer):
    """An eager training step of ``model`` (softmax cross entropy) by ``optimizer``, returning the loss."""
    def step(x, t):
        model.cleargrads()
        loss = F.softmax_cross_entropy(model(x), t)
        loss.backward()
        optimizer.update()
        return loss
    return step


def _train(compiled: bool) -> tuple[list, list]:
    dz.random.seed(0)
    model = MLP((700, 3))  # a 30x700 weight: updated on its own, not in a flat group
    step = training_step(model, AdamW(weight_decay=0.1).setup(model))
    run = dz.compile(step) if compiled else step
    losses = [float(run(x, t).data) for x, t in DATA]
    return losses, [p.data.copy() for p in model.params()]


def test_without_numba_a_compiled_step_trains_as_eager_to_the_bit(no_numba):
    (eager_losses, eager_params), (losses, params) = _train(False), _train(True)
    assert losses == eager_losses
    for got, want in zip(params, eager_params):
        assert got.tobytes() == want.tobytes()
    assert jit_kernels._kernels is None  # asked for, and none made
