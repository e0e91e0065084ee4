"""The guards of a compiled training step: the gradients parameters hold between calls, the
parameters' arrays, and the state a step leaves in ``param.grad``."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import SGD, Adam
from dezero_core.optimizers.hooks import WeightDecay
from dezero_core.static.tracing import ParamGuard, RetraceWarning

from static_helpers import batches

DATA = batches(5, (8, 5), 3)


def _optimizer(kind: str, model, update_in_backward: bool):
    optimizer = (SGD(0.1) if kind == "SGD" else Adam()).setup(model)
    if kind == "Adam+WeightDecay":
        optimizer.add_hook(WeightDecay(1e-2))
    optimizer.update_in_backward = update_in_backward
    return optimizer


def _run(step_body, compiled: bool, kind: str = "Adam", update_in_backward: bool = True,
         after_call=None) -> tuple:
    """Calls of a step over DATA from one seed: (losses, grads after each call, model, optimizer,
    the compiled function or None)."""
    dz.random.seed(0)
    model = MLP((6, 3))
    optimizer = _optimizer(kind, model, update_in_backward)

    def step(x, t):
        return step_body(model, optimizer, x, t)

    run = dz.compile(step) if compiled else step
    losses, grads = [], []
    for i, (x, t) in enumerate(DATA):
        losses.append(float(run(x, t).data))
        grads.append([None if p.grad is None else p.grad.data.copy() for p in model.params()])
        if after_call is not None:
            after_call(i, model, optimizer)
    return losses, grads, model, optimizer, run if compiled else None


def _assert_same(eager: tuple, compiled: tuple, grads: bool = True) -> None:
    np.testing.assert_array_equal(eager[0], compiled[0], err_msg="losses")
    for (name, p), q in zip(eager[2].named_params(), compiled[2].params()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    if grads:
        for call, (ge, gc) in enumerate(zip(eager[1], compiled[1])):
            for a, b in zip(ge, gc):
                assert (a is None) == (b is None), f"call {call}: grad None in one mode only"
                if a is not None:
                    np.testing.assert_array_equal(a, b, err_msg=f"grad after call {call}")


def no_cleargrads(model, optimizer, x, t):
    loss = F.softmax_cross_entropy(model(x), t)
    loss.backward()
    optimizer.update()
    return loss


def cleargrads_first(model, optimizer, x, t):
    model.cleargrads()
    return no_cleargrads(model, optimizer, x, t)


def cleargrads_last(model, optimizer, x, t):
    loss = no_cleargrads(model, optimizer, x, t)
    model.cleargrads()
    return loss


@pytest.mark.parametrize("update_in_backward", [True, False], ids=["in-backward", "kept"])
@pytest.mark.parametrize("kind", ["SGD", "Adam", "Adam+WeightDecay"])
def test_a_step_without_cleargrads_accumulates_the_gradients_as_eager_mode(kind, update_in_backward) -> None:
    """Eager adds each step's gradient to the one the previous step left: so does the compiled step,
    from its second call on (a graph that adds to the held gradient), with the gradients kept."""
    eager = _run(no_cleargrads, False, kind, update_in_backward)
    compiled = _run(no_cleargrads, True, kind, update_in_backward)
    _assert_same(eager, compiled)
    assert all(g is not None for g in compiled[1][-1])
    assert compiled[4]._traces == 2  # no gradient held yet, then one held


@pytest.mark.parametrize("update_in_backward", [True, False], ids=["in-backward", "kept"])
@pytest.mark.parametrize("body", [cleargrads_first, cleargrads_last], ids=["cleargrads-first", "cleargrads-last"])
def test_a_step_with_cleargrads_traces_once_and_every_call_leaves_the_same_gradients(body, update_in_backward
                                                                                     ) -> None:
    eager = _run(body, False, "Adam", update_in_backward)
    compiled = _run(body, True, "Adam", update_in_backward)
    _assert_same(eager, compiled, grads=False)
    assert compiled[4]._traces == 1
    if body is cleargrads_last:  # cleared after the update: None after every call, as in eager mode
        _assert_same(eager, compiled)
    elif update_in_backward:  # updated in the backward pass: None after every call, the first included
        assert all(g is None for grads in compiled[1] for g in grads)
    else:  # kept to update(): each call leaves its gradients, as in eager mode
        _assert_same(eager, compiled)


def test_the_first_call_leaves_the_gradients_it_updated_in_backward_none_and_keeps_the_others() -> None:
    """A parameter the optimizer does not update keeps its gradient after the first call as after a replay."""
    dz.random.seed(0)
    model = MLP((6, 3))
    frozen = model.layers[1].b
    optimizer = Adam().setup(model.layers[0])  # updates the first layer only

    step = dz.compile(lambda x, t: cleargrads_first(model, optimizer, x, t))
    for x, t in DATA[:3]:
        step(x, t)
        assert all(p.grad is None for p in model.layers[0].params())
        assert frozen.grad is not None
    assert step._traces == 1


def test_gradients_accumulated_over_calls_and_applied_outside_equal_eager_mode() -> None:
    """Gradient accumulation: the compiled function only differentiates; every second call the
    optimizer updates and the gradients are cleared outside it."""

    def differentiate(model, optimizer, x, t):
        loss = F.softmax_cross_entropy(model(x), t)
        loss.backward()
        return loss

    def apply_every_second(i, model, optimizer):
        if i % 2 == 1:
            optimizer.update()
            model.cleargrads()

    eager = _run(differentiate, False, after_call=apply_every_second)
    compiled = _run(differentiate, True, after_call=apply_every_second)
    _assert_same(eager, compiled)
    assert compiled[4]._traces == 2  # one graph per state of the held gradients, each replayed


def test_a_gradient_set_from_outside_is_added_to_as_eager_mode_does() -> None:
    def set_outside(i, model, optimizer):
        for p in model.params():
            p.grad = np.full_like(p.data, 0.5)

    eager = _run(no_cleargrads, False, "SGD", after_call=set_outside)
    compiled = _run(no_cleargrads, True, "SGD", after_call=set_outside)
    _assert_same(eager, compiled)


def test_a_retrace_on_the_held_gradients_is_named() -> None:
    model = MLP((6, 3))

    @dz.compile
    def differentiate(x, t):
        loss = F.softmax_cross_entropy(model(x), t)
        loss.backward()
        return loss

    differentiate(*DATA[0])
    (key,) = differentiate._cache
    assert key[5] == (True,) * 4  # each of the 4 parameters held no gradient when the call began
    held = key[:5] + ((False,) * 4,)
    assert "whether a parameter holds a gradient" in differentiate._changing(held)
    assert "argument 'x'" in differentiate._changing(((key[0][0][:1] + ((9, 5),) + key[0][0][2:],),) + key[1:])


def test_a_parameter_array_replaced_by_one_of_the_same_shape_is_read_without_a_retrace() -> None:
    model = MLP((6, 3))
    f = dz.compile(lambda x: model(x))
    x = DATA[0][0]
    f(x)
    W = model.layers[0].W
    W.data = W.data * 2
    np.testing.assert_array_equal(f(x).data, model(x).data)
    assert f._traces == 1
    W.data = W.data.astype(np.float64)  # another dtype: traced again
    np.testing.assert_allclose(f(x).data, model(x).data)
    assert f._traces == 2


def test_the_parameter_guard_sees_an_array_changed_in_place() -> None:
    model = MLP((6, 3))
    model(DATA[0][0])
    params = list(model.params())
    guard = ParamGuard(params)
    assert guard()
    params[0].data = params[0].data.copy()
    assert guard()  # a new array of the same type, shape and dtype
    params[0].data.shape = (params[0].data.size,)  # reshaped in place
    assert not guard()
    params[0].data.shape = guard.keys[0][1]
    assert guard()
    params[1].data = None
    assert not guard()


def test_the_fast_path_of_repeated_calls_keeps_every_guard() -> None:
    """After a replay, calls like it take a path that builds no key: a change of shape, dtype,
    train/test mode, no_grad or parameter array still retraces (or replays another graph)."""
    dz.random.seed(0)
    model = MLP((6, 3))
    f = dz.compile(lambda x: F.dropout(model(x), 0.5))
    x = DATA[0][0]
    for _ in range(3):
        f(x)
    assert f._hot is not None and f._traces == 1

    def check(x, traces):
        dz.random.seed(1)
        got = f(x).data
        dz.random.seed(1)
        np.testing.assert_array_equal(got, F.dropout(model(x), 0.5).data)
        assert f._traces == traces

    check(x, 1)
    check(x[:4], 2)  # another shape
    check(x, 2)  # the first graph again, from the cache
    check(x.astype(np.float64), 3)  # another dtype
    with dz.test_mode():
        check(x, 4)  # dropout is the identity there
        check(x, 4)
    check(x, 4)
    with dz.no_grad():
        check(x, 5)
    check(x, 5)
    model.layers[0].W.data = model.layers[0].W.data.astype(np.float64)  # a parameter's dtype
    check(x, 6)
