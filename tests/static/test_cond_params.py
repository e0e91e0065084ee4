"""Compiled training steps through dz.cond and dz.while_loop update the parameters of whichever branch
runs, as eager mode does, whatever branch the trace took (issue 10)."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.graph.variable import Parameter
from dezero_core.layers import Layer, Linear
from dezero_core.optimizers import SGD, Adam, MomentumSGD

from static_helpers import assert_same_training

OPTIMIZERS = {"SGD": lambda: SGD(0.1), "MomentumSGD": lambda: MomentumSGD(0.05), "Adam": lambda: Adam(0.01)}


class TwoBranches(Layer):
    """A shared layer, then ``a`` (scaled by ``s``) where the batch sums above 0, else ``b``; ``s`` is
    also read outside the branches, so its gradient is a sum where its branch runs."""

    def __init__(self) -> None:
        super().__init__()
        self.shared = Linear(3, in_size=2)
        self.a = Linear(3, in_size=3)
        self.b = Linear(3, in_size=3)
        self.s = Parameter(np.full((1, 3), 0.5, np.float32), name="s")

    def forward(self, x):
        h = self.shared(x)
        y = dz.cond(F.sum(x) > 0, lambda v: self.a(v) * self.s, lambda v: self.b(F.tanh(v)), h)
        return F.sum(y ** 2) + F.sum(self.s * self.s)


def batches(signs: str) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [(1.0 if sign == "+" else -1.0) * np.abs(rng.standard_normal((4, 2))).astype(np.float32)
            for sign in signs]


def train(make_model, optimizer_name: str, in_backward: bool, data: list, compiled: bool) -> tuple:
    """(losses, model, optimizer) of plain steps over ``data``, eagerly or compiled."""
    dz.random.seed(0)
    model = make_model()
    optimizer = OPTIMIZERS[optimizer_name]().setup(model)
    optimizer.update_in_backward = in_backward

    def step(*xs):
        model.cleargrads()
        loss = model(*xs)
        loss.backward()
        optimizer.update()
        return loss

    run = dz.compile(step, fullgraph=True) if compiled else step
    losses = [float(run(*(x if isinstance(x, tuple) else (x,))).data) for x in data]
    return losses, model, optimizer


def assert_trains_as_eager(make_model, optimizer_name: str, in_backward: bool, data: list) -> None:
    """Compiled steps over ``data`` give eager's losses, parameters and optimizer state, bit for bit."""
    assert_same_training(train(make_model, optimizer_name, in_backward, data, compiled=False),
                         train(make_model, optimizer_name, in_backward, data, compiled=True))


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("signs", ["+--+-+", "-++-+-"], ids=["traced_true", "traced_false"])
def test_the_branch_not_taken_at_trace_trains_its_parameters_at_replay(signs, optimizer_name, in_backward) -> None:
    assert_trains_as_eager(TwoBranches, optimizer_name, in_backward, batches(signs))


def test_parameters_of_the_branch_not_taken_keep_no_gradient() -> None:
    # eager leaves them None: an optimizer then skips them (a zero gradient would move Adam's)
    dz.random.seed(0)
    model = TwoBranches()
    optimizer = SGD(0.1).setup(model)
    optimizer.update_in_backward = False

    def step(x):
        model.cleargrads()
        model(x).backward()

    run = dz.compile(step, fullgraph=True)
    for x in batches("+-"):
        run(x)
    assert model.a.W.grad is None and model.a.b.grad is None
    assert model.b.W.grad is not None
    s_grad = model.s.grad.data.copy()  # from outside the branches only
    model.cleargrads()
    F.sum(model.s * model.s).backward()
    np.testing.assert_array_equal(s_grad, model.s.grad.data)


class OneParameterTwoConds(Layer):
    """``s`` in the true branch of two conds: where neither takes it, no gradient of it flows at all."""

    def __init__(self) -> None:
        super().__init__()
        self.l1 = Linear(3, in_size=2)
        self.s = Parameter(np.full((1, 3), 0.5, np.float32), name="s")

    def forward(self, x):
        h = self.l1(x)
        y1 = dz.cond(F.sum(x) > 0, lambda v: v * self.s, lambda v: v * 2.0, h)
        y2 = dz.cond(F.sum(x) > 0, lambda v: F.exp(v * self.s), lambda v: F.exp(v), h)
        return F.sum(y1 ** 2) + F.sum(y2)


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
def test_a_parameter_of_two_conds_not_taken_gets_no_gradient_from_either(in_backward) -> None:
    assert_trains_as_eager(OneParameterTwoConds, "Adam", in_backward, batches("+--+-"))


class TwoOperands(Layer):
    """``a`` on the first operand where the batch sums above 0, else ``b`` on the second: each branch
    differentiates one operand only."""

    def __init__(self) -> None:
        super().__init__()
        self.c = Linear(3, in_size=2)
        self.d = Linear(3, in_size=2)
        self.a = Linear(3, in_size=3)
        self.b = Linear(3, in_size=3)

    def forward(self, x):
        y = dz.cond(F.sum(x) > 0, lambda h, z: self.a(h), lambda h, z: self.b(z), self.c(x), self.d(x))
        return F.sum(y ** 2)


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
def test_an_operand_only_the_other_branch_differentiates_gets_its_gradient_at_replay(optimizer_name,
                                                                                     in_backward) -> None:
    # the operand the branch taken ignores gets no gradient, as in eager (so Adam and MomentumSGD
    # leave the layer that made it alone); the layer before the other operand trains in the replays
    # that take its branch
    data = batches("+--+-")
    assert_trains_as_eager(TwoOperands, optimizer_name, in_backward, data)


class Grower(Layer):
    """``h += exp(cell(h)) / 2`` while ``h`` sums below 3: no iteration for a batch that starts there."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = Linear(2, in_size=2)
        self.out = Linear(1, in_size=2)

    def forward(self, x):
        h = dz.while_loop(lambda v: F.sum(v) < 3.0, lambda v: v + F.exp(self.cell(v)) * 0.5, x)
        return F.sum(self.out(h) ** 2)


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize("starts", ["low_first", "high_first"])
def test_a_loop_body_trains_its_parameters_in_the_runs_that_iterate(starts, optimizer_name, in_backward) -> None:
    low = [np.full((1, 2), v, np.float32) for v in (0.1, -0.3, 0.4)]
    high = [np.full((1, 2), v, np.float32) for v in (2.0, 5.0)]  # no iteration: the cell gets no gradient
    data = [low[0], high[0], low[1], high[1], low[2]] if starts == "low_first" else \
        [high[0], low[0], high[1], low[1], low[2]]
    assert_trains_as_eager(Grower, optimizer_name, in_backward, data)


def test_a_branch_reading_an_argument_it_was_not_given_is_an_error_naming_it() -> None:
    layer = Linear(2, in_size=2)

    def step(x):
        return dz.cond(F.sum(x) > 0, lambda v: layer(x) * v, lambda v: v, layer(x))

    with pytest.raises(TypeError, match=r"dz.cond's true_fn reads symbol 'x' \(shape \(1, 2\), float32\) from "
                                        r"outside its arguments: .* pass it in \(an operand of dz.cond"):
        dz.compile(step)(np.ones((1, 2), np.float32))
