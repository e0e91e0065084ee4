"""Loading a checkpoint or updating parameters either happens completely or changes nothing."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import functions as F
from dezero_core.data import DataLoader
from dezero_core.models import MLP
from dezero_core.optimizers import Adam, MomentumSGD
from dezero_core.training import CheckpointError, Trainer
from training_setup import digits_trainer, params


def test_a_momentum_sgd_checkpoint_into_an_adam_trainer_raises_and_changes_nothing(tmp_path):
    source = digits_trainer(train_size=64, test=False)
    source.optimizer = MomentumSGD(lr=0.01).setup(source.model)
    source.fit(1)
    source.save_checkpoint(tmp_path / "c")

    target = digits_trainer(train_size=64, test=False, seed=1)
    before = params(target.model)
    with pytest.raises(CheckpointError, match=r"c does not fit this trainer: Adam.load_state_dict: the state is "
                                              r"of a MomentumSGD optimizer; build a MomentumSGD"):
        target.load_checkpoint(tmp_path / "c")
    for name, value in params(target.model).items():
        np.testing.assert_array_equal(value, before[name])
    assert target.epoch == 0 and target.optimizer.t == 0 and target.history == []


def test_a_checkpoint_of_another_architecture_raises_before_the_optimizer_changes(tmp_path):
    source = digits_trainer(train_size=64, test=False, hidden=32)
    source.fit(1)
    source.save_checkpoint(tmp_path / "c")
    target = digits_trainer(train_size=64, test=False, hidden=16)
    with pytest.raises(CheckpointError, match=r"l0/W is \(64, 16\) in the layer but \(64, 32\) in the state"):
        target.load_checkpoint(tmp_path / "c")
    assert target.optimizer.t == 0 and target.optimizer.state == {}


def test_adam_update_with_a_read_only_parameter_names_it_and_changes_nothing():
    model = MLP((4, 3), in_size=2)
    optimizer = Adam().setup(model)
    x, t = np.ones((5, 2), np.float32), np.array([0, 1, 2, 0, 1])
    for _ in range(2):
        model.cleargrads()
        F.softmax_cross_entropy(model(x), t).backward()
        if optimizer.t == 1:
            model.l1.b.data = np.broadcast_to(model.l1.b.data.copy(), (3,))  # a read-only view
            before = {name: np.array(p.data) for name, p in model.named_params()}
            moments = {name: {k: np.array(v) for k, v in slots.items()} for name, slots in optimizer.state.items()}
            with pytest.raises(ValueError, match=r"Adam.update\(\): parameter 'l1/b' is read-only.*nothing was updated"):
                optimizer.update()
        else:
            optimizer.update()
    assert optimizer.t == 1
    for name, p in model.named_params():
        np.testing.assert_array_equal(p.data, before[name])
        for key, value in optimizer.state[name].items():
            np.testing.assert_array_equal(value, moments[name][key])


def test_a_gradient_of_the_wrong_shape_is_refused_before_any_update():
    model = MLP((3,), in_size=2)
    optimizer = Adam().setup(model)
    model.l0.W.grad = np.ones((2, 3), np.float32)
    model.l0.b.grad = np.ones((4,), np.float32)
    W = np.array(model.l0.W.data)
    with pytest.raises(ValueError, match=r"the gradient of 'l0/b' has shape \(4,\), the parameter \(3,\)"):
        optimizer.update()
    np.testing.assert_array_equal(model.l0.W.data, W)
    assert optimizer.t == 0


def _momentum_after_one_step():
    model = MLP((3,), in_size=2)
    optimizer = MomentumSGD(lr=0.1, momentum=0.9).setup(model)
    F.sum(model(np.ones((1, 2), np.float32))).backward()
    optimizer.update()
    return optimizer


def test_an_optimizer_state_whose_slot_is_not_an_array_is_refused_naming_it():
    optimizer = _momentum_after_one_step()
    state = optimizer.state_dict()
    state = {**state, "t": 50, "hyperparams": {"lr": 0.5, "momentum": 0.3},
             "state": {name: {"v": slots["v"].tolist()} for name, slots in state["state"].items()}}
    with pytest.raises(ValueError, match=r"MomentumSGD.load_state_dict: 'l0/W''s v is a list, not an array"):
        optimizer.load_state_dict(state)
    assert (optimizer.t, optimizer.lr, optimizer.momentum) == (1, 0.1, 0.9)


def test_an_optimizer_state_that_fails_to_copy_leaves_the_step_count_and_rates(monkeypatch):
    # the copies onto the parameters' backend used to run after lr, momentum and t were assigned
    optimizer = _momentum_after_one_step()
    state = {**optimizer.state_dict(), "t": 50, "hyperparams": {"lr": 0.5, "momentum": 0.3}}

    def refuse(array, like):
        raise MemoryError("no room for the copy")

    monkeypatch.setattr("dezero_core.optimizers.optimizer.copy_like", refuse)
    with pytest.raises(MemoryError):
        optimizer.load_state_dict(state)
    assert (optimizer.t, optimizer.lr, optimizer.momentum) == (1, 0.1, 0.9)
