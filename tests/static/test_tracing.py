"""Tracing a Python function: guards, retraces, graph breaks, random numbers, inference."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.layers import Dropout, Linear, Sequential
from dezero_core.models import MLP
from dezero_core.optimizers import SGD
from dezero_core.static import GraphBreakError, GraphBreakWarning, RetraceWarning

from static_helpers import assert_same_training, batches, train


def counting(fn):
    """``fn`` and a list that gets one entry per (traced or eager) run of its body."""
    runs = []

    def body(*args, **kwargs):
        runs.append(1)
        return fn(*args, **kwargs)
    return body, runs


def test_a_new_shape_retraces_and_the_old_shape_replays() -> None:
    body, runs = counting(lambda x: F.sum(x * 2.0))
    f = dz.compile(body)
    for shape in [(2,), (3,), (2,), (3,)]:
        out = f(np.ones(shape, np.float32))
        assert float(out.data) == 2.0 * shape[0]
    assert len(runs) == 2


def test_a_new_dtype_a_scalar_argument_and_the_mode_are_guarded() -> None:
    body, runs = counting(lambda x, k: x * k)
    f = dz.compile(body)
    f(np.ones(2, np.float32), 2.0)
    f(np.ones(2, np.float64), 2.0)
    assert f(np.ones(2, np.float64), 3.0).data.tolist() == [3.0, 3.0]
    with dz.test_mode():
        f(np.ones(2, np.float64), 3.0)
    assert len(runs) == 4
    f(np.ones(2, np.float32), 2.0)
    assert len(runs) == 4


def test_a_parameter_whose_shape_changed_retraces() -> None:
    layer = Linear(3, in_size=2)
    body, runs = counting(lambda x: layer(x))
    f = dz.compile(body)
    x = np.ones((1, 2), np.float32)
    f(x)
    layer.W.data = np.ones((2, 3), np.float64)
    np.testing.assert_array_equal(f(x).data, layer(x).data)
    assert len(runs) == 2


def test_an_argument_that_keeps_changing_warns_after_8_retraces_naming_it() -> None:
    f = dz.compile(lambda x, n: x * n)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(12):
            f(np.ones(2), float(n))
    retrace = [w for w in caught if issubclass(w.category, RetraceWarning)]
    assert len(retrace) == 1
    assert "argument 'n' (position 1)" in str(retrace[0].message)
    assert len(f._cache) <= 8  # a bounded cache


def test_reading_a_value_is_a_graph_break_that_falls_back_to_eager_with_one_warning() -> None:
    def fn(x):
        y = x * 2.0
        if float(F.sum(y).data) > 0:  # reads a value
            return y
        return -y

    f = dz.compile(fn)
    with pytest.warns(GraphBreakWarning, match=r"graph break at .*test_tracing.py:\d+") as caught:
        out = f(dz.Variable(np.ones(2)))
    assert len(caught) == 1
    np.testing.assert_array_equal(out.data, [2.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(f(dz.Variable(-np.ones(2))).data, [2.0, 2.0])  # eager, no 2nd warning


def test_fullgraph_raises_at_a_graph_break() -> None:
    f = dz.compile(lambda x: x if bool(F.sum(x).data > 0) else -x, fullgraph=True)
    with pytest.raises(GraphBreakError, match=r"test_tracing.py:\d+.*dz.cond"):
        f(np.ones(2))


def test_a_graph_break_after_the_update_does_not_step_the_optimizer_twice() -> None:
    data = batches(3, (4, 5), 3)
    eager = train(lambda: MLP((6, 3)), lambda m: SGD(0.1).setup(m), data, compiled=False)
    dz.random.seed(0)
    model = MLP((6, 3))
    optimizer = SGD(0.1).setup(model)

    def step(x, t):
        model.cleargrads()
        loss = F.softmax_cross_entropy(model(x), t)
        loss.backward()
        optimizer.update()
        return float(loss.data)  # a value: graph break

    with pytest.warns(GraphBreakWarning):
        losses = [dz.compile(step)(x, t) for x, t in data[:1]]
    f = dz.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GraphBreakWarning)
        losses += [f(x, t) for x, t in data[1:]]
    assert losses == eager[0]
    assert optimizer.t == 3


def _dropout_model():
    return Sequential(Linear(8), lambda x: F.dropout(x, 0.5), F.relu, Linear(3))


def test_dropout_draws_fresh_masks_on_every_replay() -> None:
    dz.random.seed(0)
    model = Sequential(Linear(16), Dropout(0.5))
    f = dz.compile(lambda x: model(x))
    x = np.ones((4, 3), np.float32)
    outs = [f(x).data for _ in range(3)]
    assert not np.array_equal(outs[1], outs[2]) and not np.array_equal(outs[0], outs[1])


def test_training_through_dropout_equals_eager_under_the_same_seed() -> None:
    data = batches(4, (6, 5), 3)
    make_opt = lambda m: SGD(0.1).setup(m)  # noqa: E731
    assert_same_training(train(_dropout_model, make_opt, data, compiled=False),
                         train(_dropout_model, make_opt, data, compiled=True))


def test_a_traced_forward_in_test_mode_has_no_dropout_and_no_backward() -> None:
    dz.random.seed(0)
    model = Sequential(Linear(4), Dropout(0.5))
    x = np.ones((2, 3), np.float32)
    model(x)
    graph = dz.static.trace(model, x)
    assert [n.op for n in graph.nodes] == ["Linear"]
    assert [v.name for v in graph.params] == ["0/W", "0/b"] or all("/" in v.name for v in graph.params)


def test_a_function_returning_several_results_gets_them_back_in_the_same_structure() -> None:
    f = dz.compile(lambda x: {"a": x * 2.0, "b": [x + 1.0, 7]})
    out = f(np.ones(2))
    assert out["b"][1] == 7
    np.testing.assert_array_equal(out["a"].data, [2.0, 2.0])
    np.testing.assert_array_equal(out["b"][0].data, [2.0, 2.0])


def test_a_graph_break_rewinds_random_draws_and_running_averages() -> None:
    from dezero_core.layers import BatchNorm

    data = batches(2, (6, 5), 3)

    def run(compiled: bool):
        dz.random.seed(0)
        model = Sequential(Linear(8, in_size=5), BatchNorm(), lambda x: F.dropout(x, 0.5), Linear(3, in_size=8))
        optimizer = SGD(0.1).setup(model)

        def step(x, t):
            model.cleargrads()
            loss = F.softmax_cross_entropy(model(x), t)
            loss.backward()
            optimizer.update()
            return float(loss.data)  # a graph break, after the dropout and the batch norm ran traced

        f = dz.compile(step) if compiled else step
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GraphBreakWarning)
            losses = [f(x, t) for x, t in data]
        return losses, [np.array(b) for _, b in model.named_buffers()]

    (eager_losses, eager_stats), (losses, stats) = run(False), run(True)
    assert losses == eager_losses
    for a, b in zip(eager_stats, stats):
        np.testing.assert_array_equal(a, b)


def test_keyword_arguments_bind_by_name_whatever_their_order() -> None:
    f = dz.compile(lambda x, y: x - y)
    assert f(x=np.array(5.0), y=np.array(2.0)).data == 3.0
    assert f(y=np.array(1.0), x=np.array(7.0)).data == 6.0  # a replay


def test_a_compiled_model_names_its_inputs_after_forward() -> None:
    model = MLP((3, 2))
    f = dz.compile(model)
    x = np.ones((1, 4), np.float32)
    np.testing.assert_array_equal(f(x).data, model(x).data)
    assert [v.name for v in f.graph.inputs] == ["x"]
    assert [v.name for v in f.graph.params] == ["l0/W", "l0/b", "l1/W", "l1/b"]
