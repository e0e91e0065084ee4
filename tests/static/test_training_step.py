"""A traced training step (forward, loss.backward(), optimizer.update()) equals eager mode."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import dezero_core as dz
from dezero_core.graph import function as function_module
from dezero_core.graph.variable import Variable
from dezero_core.models import MLP
from dezero_core.optimizers import SGD, Adam, AdamW, MomentumSGD
from dezero_core.optimizers.hooks import ClipGrad, WeightDecay

from static_helpers import assert_same_training, batches, train

DATA = batches(6, (8, 5), 3)


@pytest.mark.parametrize("make_optimizer", [
    lambda m: SGD(0.1).setup(m),
    lambda m: MomentumSGD(0.05).setup(m),
    lambda m: Adam().setup(m),
    lambda m: AdamW().setup(m),
], ids=["SGD", "MomentumSGD", "Adam", "AdamW"])
def test_compiled_mlp_training_equals_eager_bit_for_bit(make_optimizer) -> None:
    make_model = lambda: MLP((10, 10, 3))  # noqa: E731
    eager = train(make_model, make_optimizer, DATA, compiled=False)
    compiled = train(make_model, make_optimizer, DATA, compiled=True)
    assert_same_training(eager, compiled)


def _with_hooks(model):
    optimizer = Adam().setup(model)
    optimizer.add_hook(WeightDecay(1e-2))
    optimizer.add_hook(ClipGrad(0.5))
    return optimizer


def test_optimizer_hooks_run_as_in_eager_mode() -> None:
    make_model = lambda: MLP((10, 3))  # noqa: E731
    assert_same_training(train(make_model, _with_hooks, DATA, compiled=False),
                         train(make_model, _with_hooks, DATA, compiled=True))


def test_the_first_call_traces_and_later_calls_replay() -> None:
    traced = []
    _, _, _ = train(lambda: MLP((4, 3)), lambda m: SGD().setup(m), DATA[:1], compiled=True)
    model = MLP((4, 3))
    optimizer = SGD().setup(model)

    def step(x, t):
        traced.append(1)
        model.cleargrads()
        loss = dz.functions.softmax_cross_entropy(model(x), t)
        loss.backward()
        optimizer.update()
        return loss

    f = dz.compile(step)
    for x, t in DATA:
        f(x, t)
    assert len(traced) == 1
    assert optimizer.t == len(DATA)


def _compiled_step(model, optimizer_class):
    optimizer = optimizer_class().setup(model)

    @dz.compile
    def step(x, t):
        model.cleargrads()
        loss = dz.functions.softmax_cross_entropy(model(x), t)
        loss.backward()
        optimizer.update()
        return loss
    return step


def _live_variables() -> int:
    """How many Variables the garbage collector tracks. A dead ``weakref.proxy`` among the objects
    (left by another library's tests) raises ReferenceError on ``isinstance``: it is no Variable."""
    count = 0
    for o in gc.get_objects():
        try:
            count += isinstance(o, Variable)
        except ReferenceError:
            pass
    return count


def test_a_replayed_step_creates_no_variable_and_calls_no_function() -> None:
    step = _compiled_step(MLP((10, 3)), Adam)
    x, t = DATA[0]
    step(x, t)
    calls = []
    function_module.forward_hooks.append(lambda f, xs, ys: calls.append(f))
    try:
        gc.collect()
        before = _live_variables()
        loss = step(x, t)
        after = _live_variables()
    finally:
        function_module.forward_hooks.pop()
    assert calls == []
    assert after - before == 1  # only the returned loss
    assert isinstance(loss, Variable)


def test_the_gradient_of_the_input_batch_is_not_computed() -> None:
    step = _compiled_step(MLP((10, 3)), SGD)
    x, t = DATA[0]
    step(Variable(x), t)  # a Variable input requires a gradient in eager mode
    first_linear_backward = [n for n in step.graph.nodes if n.op == "backward:Linear"][-1]
    assert first_linear_backward.attrs["needs_grad"] == (False, True, True)


def test_training_through_a_function_without_backward_names_it() -> None:
    class Clamp(dz.Function):
        def forward(self, xp, x):
            return xp.clip(x, -1.0, 1.0)

    model = MLP((4, 3))
    optimizer = SGD().setup(model)

    @dz.compile
    def step(x, t):
        model.cleargrads()
        loss = dz.functions.softmax_cross_entropy(Clamp()(model(x)), t)
        loss.backward()
        optimizer.update()
        return loss

    with pytest.raises(TypeError, match=r"Clamp has no array-level backward.*backward\(xp, xs, y, gy\)"):
        step(*DATA[0])
