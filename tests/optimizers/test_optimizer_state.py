"""Optimizer state: keyed by parameter name, saved and restored so that training resumes exactly."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import optimizers as O
from dezero_core.backend.selection import backend_of
from dezero_core.layers import Layer

X = np.random.default_rng(0).standard_normal((8, 3))
T = np.random.default_rng(1).standard_normal((8, 2))


class Regression(Layer):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(2)
        self.W = dz.Parameter(rng.standard_normal((3, 2)), name="W")
        self.b = dz.Parameter(np.zeros(2), name="b")

    def forward(self, x):
        return dz.functions.matmul(x, self.W) + self.b


def step(model, optimizer, x=X, t=T):
    model.cleargrads()
    diff = model(x) - t
    (diff * diff).sum().backward()
    optimizer.update()


MAKERS = [lambda: O.Adam(lr=0.05), lambda: O.MomentumSGD(lr=0.05), lambda: O.AdaDelta(), lambda: O.AdamW(lr=0.05)]


@pytest.mark.parametrize("make", MAKERS, ids=["Adam", "MomentumSGD", "AdaDelta", "AdamW"])
def test_resumed_training_equals_uninterrupted_training(make):
    model, optimizer = Regression(), make()
    optimizer.setup(model)
    for _ in range(3):
        step(model, optimizer)
    model_state, optimizer_state = model.state_dict(), optimizer.state_dict()
    for _ in range(2):
        step(model, optimizer)

    resumed, resumed_optimizer = Regression(), make()
    resumed.W.data[...] = 0.0  # a different start, overwritten by the checkpoint
    resumed_optimizer.setup(resumed)
    resumed.load_state_dict(model_state)
    resumed_optimizer.load_state_dict(optimizer_state)
    for _ in range(2):
        step(resumed, resumed_optimizer)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], array)


def test_state_is_keyed_by_parameter_name():
    model, optimizer = Regression(), O.Adam()
    optimizer.setup(model)
    step(model, optimizer)
    assert sorted(optimizer.state) == ["W", "b"]
    assert sorted(optimizer.state["W"]) == ["m", "v"]


def test_state_dict_holds_the_step_count_and_hyperparameters():
    model, optimizer = Regression(), O.Adam(lr=0.01)
    optimizer.setup(model)
    step(model, optimizer)
    step(model, optimizer)
    state = optimizer.state_dict()
    assert state["t"] == 2
    assert state["hyperparams"] == {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def test_state_dict_is_a_snapshot():
    model, optimizer = Regression(), O.Adam()
    optimizer.setup(model)
    step(model, optimizer)
    snapshot = optimizer.state_dict()["state"]["W"]["m"].copy()
    saved = optimizer.state_dict()
    step(model, optimizer)
    np.testing.assert_array_equal(saved["state"]["W"]["m"], snapshot)


def test_loading_state_for_unknown_parameters_names_them():
    model, optimizer = Regression(), O.Adam()
    optimizer.setup(model)
    step(model, optimizer)
    state = optimizer.state_dict()
    state["state"]["gone/W"] = state["state"].pop("W")
    fresh = O.Adam().setup(Regression())
    with pytest.raises(ValueError, match=r"gone/W"):
        fresh.load_state_dict(state)


def test_optimizers_use_only_the_array_api():
    pytest.importorskip("array_api_strict")
    model = Regression().to("strict")
    optimizer = O.Adam(lr=0.05).setup(model)
    x, t = dz.get_backend("strict").from_host(X), dz.get_backend("strict").from_host(T)
    step(model, optimizer, x, t)
    reference = Regression()
    reference_optimizer = O.Adam(lr=0.05).setup(reference)
    step(reference, reference_optimizer)
    np.testing.assert_allclose(dz.get_backend("strict").to_host(model.W.data), reference.W.data, rtol=1e-12)


def test_state_follows_a_model_moved_to_another_backend():
    pytest.importorskip("array_api_strict")
    model = Regression()
    optimizer = O.Adam(lr=0.05).setup(model)
    step(model, optimizer)
    model.to("strict")
    strict = dz.get_backend("strict")
    step(model, optimizer, strict.from_host(X), strict.from_host(T))
    assert backend_of(optimizer.state["W"]["m"]).name == "strict"
