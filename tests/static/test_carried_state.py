"""A compiled function carries the state a layer keeps between calls (an RNN's hidden state), and
computes what the traced function computed from parameters or state alone at every run."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.layers import GRU, LSTM, RNN, Linear
from dezero_core.static import TracedStateWarning


def _steps(n: int, batch: int = 2, size: int = 3, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((batch, size)).astype(np.float32) for _ in range(n)]


@pytest.mark.parametrize("cell", [RNN, LSTM, GRU])
def test_a_compiled_cell_called_step_by_step_equals_eager(cell) -> None:
    dz.random.seed(0)
    layer = cell(4, in_size=3)
    f = dz.compile(lambda x: layer(x))
    xs = _steps(6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracedStateWarning)  # nothing is cleared any more
        compiled = [f(x).data for x in xs]
        state = {a: getattr(layer, a).data for a in ("h", "c") if hasattr(layer, a)}
        layer.reset_state()
        compiled += [f(x).data for x in xs[:2]]  # a new sequence: the first-step graph, cached
    layer.reset_state()
    eager = [layer(x).data for x in xs]
    for a, value in state.items():
        np.testing.assert_array_equal(value, getattr(layer, a).data)
    layer.reset_state()
    eager += [layer(x).data for x in xs[:2]]
    for k, (a, b) in enumerate(zip(compiled, eager)):
        np.testing.assert_array_equal(a, b, err_msg=f"step {k}")
    assert f._traces == 2  # the first step of a sequence (no state yet), and the later ones


def test_the_state_is_part_of_the_guard() -> None:
    layer = RNN(2, in_size=3)
    f = dz.compile(lambda x: layer(x))
    f(np.ones((1, 3), np.float32))
    f(np.ones((1, 3), np.float32))
    layer.h = dz.Variable(np.zeros((4, 2), np.float32))  # a state of another batch size: retraced
    with pytest.raises(ValueError, match="hidden state from the previous call has a batch of 4"):
        f(np.ones((1, 3), np.float32))
    assert f._traces == 3


def test_truncated_backprop_through_compiled_windows_equals_eager_with_unchained_state() -> None:
    # each window's backward stops at the state the previous window left (eager: unchain_backward)
    def run(compiled: bool) -> list[float]:
        dz.random.seed(1)
        lstm, fc = LSTM(5, in_size=3), Linear(2, in_size=5)
        model = dz.models.Model()
        model.lstm, model.fc = lstm, fc
        optimizer = dz.optimizers.Adam().setup(model)

        def window(xs, ts):
            loss = 0
            for k in range(xs.shape[0]):
                loss = loss + F.softmax_cross_entropy(fc(lstm(xs[k])), ts[k])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            return loss

        step = dz.compile(window) if compiled else window
        rng = np.random.default_rng(2)
        losses = []
        for _ in range(4):
            xs, ts = rng.standard_normal((3, 2, 3)).astype(np.float32), rng.integers(0, 2, (3, 2))
            loss = step(xs, ts)
            if not compiled:
                lstm.h.unchain_backward()
                lstm.c.unchain_backward()
            losses.append(float(loss.data))
        return losses + [float(v) for p in model.params() for v in p.data.ravel()]

    # within float32 rounding: batch_shared_weights sums the steps' weight gradients in one product
    np.testing.assert_allclose(run(True), run(False), rtol=1e-5, atol=1e-6)


def test_state_set_from_arguments_and_returned_still_works() -> None:
    # the pattern advised before state was carried: set the state from arguments, return the new one
    lstm = LSTM(3, in_size=2)

    def window(x, h, c):
        lstm.h, lstm.c = h, c
        return lstm(x), lstm.h, lstm.c

    f = dz.compile(window)
    h = c = np.zeros((1, 3), np.float32)
    outs = []
    for x in _steps(3, batch=1, size=2):
        y, h, c = f(x, h, c)
        h, c = h.data, c.data
        outs.append(y.data)
    lstm.reset_state()
    for x, y in zip(_steps(3, batch=1, size=2), outs):
        np.testing.assert_array_equal(lstm(x).data, y)


def test_an_exported_graph_carries_no_state() -> None:
    lstm = LSTM(3, in_size=2)
    with pytest.warns(TracedStateWarning) as caught:
        graph = dz.static.trace(lstm, np.ones((1, 2), np.float32))
    assert sorted(str(w.message).split(" was set")[0] for w in caught) == ["LSTM.c", "LSTM.h"]
    assert "an exported graph carries no layer state, so it is cleared" in str(caught[0].message)
    assert lstm.h is None and lstm.c is None and len(graph.outputs) == 1


def test_a_graph_that_carries_state_is_not_saved_and_says_what_to_save(tmp_path) -> None:
    layer = RNN(2, in_size=3)
    f = dz.compile(lambda x: layer(x))
    f(np.ones((1, 3), np.float32))
    f(np.ones((1, 3), np.float32))  # the graph that reads the state
    with pytest.raises(TypeError, match=r"carries RNN\.h from one call to the next.*takes the state as an argument"):
        f.save(tmp_path / "rnn.dzg")


def test_a_value_computed_from_a_parameter_alone_follows_the_parameter() -> None:
    # transpose(W) * 2 reads no input: it ran eagerly while traced, and replays froze its value
    W = dz.Parameter(np.ones((3, 2), np.float32))
    f = dz.compile(lambda x: F.matmul(x, F.transpose(W) * 2.0))
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(f(x).data, [[4.0, 4.0, 4.0]])
    W.data[...] = 5.0
    np.testing.assert_array_equal(f(x).data, [[20.0, 20.0, 20.0]])  # a replay
    assert [n.op for n in f.graph.nodes][:2] == ["Transpose", "MulScalar"]


def test_training_through_a_parameter_computed_before_the_input_is_used() -> None:
    # tied weights: the gradient flows through the transposed parameter into W
    def run(compiled: bool) -> np.ndarray:
        W = dz.Parameter(np.arange(6, dtype=np.float64).reshape(3, 2) / 10)
        model = dz.models.Model()
        model.W = W
        optimizer = dz.optimizers.SGD(0.1).setup(model)

        def step(x):
            model.cleargrads()
            loss = F.sum(F.tanh(F.matmul(F.matmul(x, W), F.transpose(W))))
            loss.backward()
            optimizer.update()
            return loss

        fn = dz.compile(step) if compiled else step
        for x in _steps(3, size=3):
            fn(x.astype(np.float64))
        return W.data

    np.testing.assert_array_equal(run(True), run(False))
