"""RNN, LSTM and GRU: shapes (the hidden-to-hidden weight included) and gradients vs numerical ones."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import layers as L

IN, HIDDEN, BATCH = 3, 2, 2


def test_rnn_hidden_to_hidden_weight_is_hidden_by_hidden():
    rnn = L.RNN(HIDDEN, in_size=IN)
    assert rnn.x2h.W.shape == (IN, HIDDEN)
    assert rnn.h2h.W.shape == (HIDDEN, HIDDEN) and rnn.h2h.b is None


def test_rnn_runs_several_steps_with_in_size_different_from_hidden_size():
    rnn = L.RNN(HIDDEN)
    x = np.ones((BATCH, 5), np.float32)
    for _ in range(3):
        h = rnn(x)
    assert h.shape == (BATCH, HIDDEN)


def test_rnn_reset_state_starts_a_new_sequence():
    rnn = L.RNN(HIDDEN, in_size=IN)
    x = np.ones((BATCH, IN), np.float32)
    first = rnn(x).data.copy()
    rnn(x)
    rnn.reset_state()
    np.testing.assert_array_equal(rnn(x).data, first)


@pytest.mark.parametrize("cls, gates", [(L.LSTM, 4), (L.GRU, 3)])
def test_gated_layers_stack_their_gates(cls, gates):
    layer = cls(HIDDEN, in_size=IN)
    assert layer.x2h.W.shape == (IN, gates * HIDDEN)
    assert layer.h2h.W.shape == (HIDDEN, gates * HIDDEN)
    assert layer(np.ones((BATCH, IN), np.float32)).shape == (BATCH, HIDDEN)


def test_lstm_keeps_a_cell_state():
    lstm = L.LSTM(HIDDEN, in_size=IN)
    lstm(np.ones((BATCH, IN), np.float32))
    assert lstm.c.shape == (BATCH, HIDDEN)
    lstm.reset_state()
    assert lstm.c is None and lstm.h is None


def _loss(layer, xs, weights):
    layer.reset_state()
    total = 0.0
    for x, w in zip(xs, weights):
        total = total + (layer(x) * w).sum()
    return total


@pytest.mark.parametrize("cls", [L.RNN, L.LSTM, L.GRU])
def test_gradients_through_three_steps_match_numerical_gradients(cls):
    rng = np.random.default_rng(0)
    layer = cls(HIDDEN, in_size=IN, dtype="float64")
    xs = [rng.standard_normal((BATCH, IN)) for _ in range(3)]
    weights = [rng.standard_normal((BATCH, HIDDEN)) for _ in range(3)]
    layer.cleargrads()
    _loss(layer, xs, weights).backward()
    for name, param in layer.named_params():
        analytic = param.grad.data
        numeric = np.zeros_like(param.data)
        for i in np.ndindex(param.shape):
            original = param.data[i]
            param.data[i] = original + 1e-6
            plus = _loss(layer, xs, weights).data
            param.data[i] = original - 1e-6
            minus = _loss(layer, xs, weights).data
            param.data[i] = original
            numeric[i] = (plus - minus) / 2e-6
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7, err_msg=f"{cls.__name__} {name}")
