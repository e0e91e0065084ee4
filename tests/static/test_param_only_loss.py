"""A backward() in a traced step from a loss computed from parameters alone (no argument flows into
it: a weight penalty, a model with no inputs) is recorded and replayed as eager mode computes it."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.layers import Layer, Linear
from dezero_core.optimizers import SGD, Adam

from static_helpers import assert_same_training

OPTIMIZERS = {"SGD": lambda: SGD(0.1), "Adam": lambda: Adam(0.01)}
X = [np.random.default_rng(2).standard_normal((4, 2)).astype(np.float32) for _ in range(5)]


def train(step_of, optimizer_name: str, in_backward: bool, data: list, compiled: bool) -> tuple:
    """(losses, model, optimizer) of ``step_of(model, optimizer)`` over ``data`` (argument tuples)."""
    dz.random.seed(0)
    model = Linear(3, in_size=2)
    optimizer = OPTIMIZERS[optimizer_name]().setup(model)
    optimizer.update_in_backward = in_backward
    step = step_of(model, optimizer)
    run = dz.compile(step, fullgraph=True) if compiled else step
    losses = [float(run(*args).data) for args in data]
    return losses, model, optimizer


def penalty_after_the_loss(model, optimizer):
    def step(x):
        model.cleargrads()
        loss = F.sum(model(x) ** 2)
        loss.backward()
        penalty = F.sum(model.W ** 2) * 0.5 + F.sum(model.b * model.b)
        penalty.backward()  # from the parameters alone: adds to the gradients of the loss
        optimizer.update()
        return loss
    return step


def penalty_only(model, optimizer):
    def step():
        model.cleargrads()
        penalty = F.sum(model.W ** 2) * 0.5 + F.sum(F.exp(model.b))
        penalty.backward()
        optimizer.update()
        return penalty
    return step


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
def test_a_penalty_backward_after_the_loss_adds_its_gradient_at_every_replay(optimizer_name, in_backward) -> None:
    data = [(x,) for x in X]
    assert_same_training(train(penalty_after_the_loss, optimizer_name, in_backward, data, compiled=False),
                         train(penalty_after_the_loss, optimizer_name, in_backward, data, compiled=True))


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
def test_a_step_without_inputs_trains_and_returns_its_loss_at_every_replay(optimizer_name, in_backward) -> None:
    data = [()] * 5
    eager = train(penalty_only, optimizer_name, in_backward, data, compiled=False)
    compiled = train(penalty_only, optimizer_name, in_backward, data, compiled=True)
    assert_same_training(eager, compiled)
    assert len(set(compiled[0])) == 5  # each call returns the loss of that step, not the traced one


class NoInputs(Layer):
    """A model with no inputs: its output is computed from its parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.l1 = Linear(3, in_size=2)

    def forward(self):
        return F.sum(F.tanh(self.l1.W) * 2.0) + F.sum(self.l1.b)


def test_a_compiled_model_without_inputs_returns_what_its_parameters_give_now() -> None:
    dz.random.seed(0)
    model = NoInputs()
    compiled = dz.compile(model, fullgraph=True)
    compiled()
    model.l1.W.data = model.l1.W.data * 0.5  # replays read the parameters, not the traced values
    np.testing.assert_array_equal(compiled().data, model().data)


def eager_and_compiled(step_of, calls: int) -> list[tuple[Linear, list]]:
    """(model, results of ``calls`` calls of the step ``step_of(model)``) run eagerly, then compiled;
    before each call the weights change, as an update outside the step would change them."""
    runs = []
    for compiled in (False, True):
        dz.random.seed(0)
        model = Linear(3, in_size=2)
        step = step_of(model)
        run = dz.compile(step, fullgraph=True) if compiled else step
        results = []
        for _ in range(calls):
            model.W.data = model.W.data * 1.5
            results.append(run())
        runs.append((model, results))
    return runs


def test_a_penalty_backward_writes_the_gradients_eager_mode_writes() -> None:
    def step_of(model):
        def step():
            model.cleargrads()
            (F.sum(model.W ** 2) * 0.5).backward()
        return step

    (eager, _), (compiled, _) = eager_and_compiled(step_of, 2)
    np.testing.assert_array_equal(eager.W.grad.data, compiled.W.grad.data)  # of W as it is at the replay
    assert eager.b.grad is None and compiled.b.grad is None  # b is not in the penalty


def test_gradients_cleared_after_the_backward_are_none_after_every_replay() -> None:
    def step_of(model):
        def step():
            model.cleargrads()
            (F.sum(model.W ** 3) + F.sum(model.b)).backward()
            norm = F.sum(model.W.grad * model.W.grad) + F.sum(model.b.grad)  # read, then dropped
            model.cleargrads()
            return norm
        return step

    (_, eager), (model, compiled) = eager_and_compiled(step_of, 3)
    assert [float(n.data) for n in eager] == [float(n.data) for n in compiled]
    assert model.W.grad is None and model.b.grad is None
