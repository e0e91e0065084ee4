"""Layers refuse bad sizes at construction and bad first inputs before creating anything, with
messages that name the layer, the value and what to do."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, layers as L

X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)


@pytest.mark.parametrize("make,layout", [(lambda: L.Linear(2), r"Linear: x must have shape \(batch, in_size\)"),
                                         (lambda: L.RNN(2), r"RNN: x must have shape \(batch, in_size\)"),
                                         (lambda: L.LSTM(2), r"LSTM: x must have shape \(batch, in_size\)"),
                                         (lambda: L.BatchNorm(), r"BatchNorm: x must have shape \(N, C\) or \(N, C, H, W\)")])
def test_a_lazy_layer_on_a_1d_input_says_which_shape_it_needs(make, layout) -> None:
    with pytest.raises(ValueError, match=rf"{layout} \(at least 2 dimensions\), got shape \(3,\)"
                                         r"\. For one sample, add a batch axis: x\[None\]"):
        make()(X[0])


@pytest.mark.parametrize("make", [lambda: L.Linear(2), lambda: L.Linear(2, in_size=3), lambda: L.BatchNorm(),
                                  lambda: L.LayerNorm(), lambda: L.Conv2d(2, 3)])
def test_a_layer_called_with_a_python_list_says_to_convert_it(make) -> None:
    with pytest.raises(TypeError, match=r"must be an array or a Variable, got list; convert it first"):
        make()(X.tolist())


@pytest.mark.parametrize("make,message", [
    (lambda: L.Linear(-1), r"Linear: out_size must be a positive int, got -1"),
    (lambda: L.Linear(0), r"Linear: out_size must be a positive int, got 0"),
    (lambda: L.Linear(2, in_size=-3), r"Linear: in_size must be a positive int, got -3"),
    (lambda: L.RNN(0), r"RNN: hidden_size must be a positive int, got 0"),
    (lambda: L.BatchNorm(-2), r"BatchNorm: size must be a positive int, got -2"),
    (lambda: L.EmbedID(-1, 3), r"EmbedID: in_size must be a positive int, got -1"),
    (lambda: L.Conv2d(3, 0), r"Conv2d: kernel_size and stride must be >= 1 and pad >= 0, got kernel_size=\(0, 0\)"),
    (lambda: L.Conv2d(3, 3, stride=0), r"Conv2d: .*stride=\(0, 0\)"),
    (lambda: L.Deconv2d(3, 3, pad=-1), r"Deconv2d: .*pad=\(-1, -1\)"),
    (lambda: L.Conv2d(-3, 3), r"Conv2d: out_channels must be a positive int, got -3"),
])
def test_a_size_below_one_is_refused_at_construction(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make,message", [
    (lambda: L.Linear(2.5), r"Linear: out_size must be a positive int, got 2.5 of type float"),
    (lambda: L.LSTM("8"), r"LSTM: hidden_size must be a positive int, got '8' of type str"),
    (lambda: L.Conv2d(3, 2.0), r"expected an int or a pair of ints, got 2.0"),
])
def test_a_size_that_is_not_an_integer_is_refused_at_construction(make, message) -> None:
    with pytest.raises(TypeError, match=message):
        make()


def test_numpy_integers_are_sizes() -> None:
    layer = L.Linear(np.int64(5), in_size=np.int32(3))
    assert (layer.in_size, layer.out_size) == (3, 5) and type(layer.out_size) is int
    assert layer(X).shape == (4, 5)


@pytest.mark.parametrize("bad", [np.ones((4, 3), dtype=object), X[0], np.array(["a", "b"])])
def test_a_failed_first_call_leaves_a_lazy_linear_uncreated(bad) -> None:
    layer = L.Linear(2)
    with pytest.raises((TypeError, ValueError)):
        layer(bad)
    assert layer.W.data is None and layer.in_size is None
    assert layer(X).shape == (4, 2) and layer.W.shape == (3, 2)  # the right input still works


def test_a_failed_first_call_leaves_a_lazy_batch_norm_uncreated() -> None:
    layer = L.BatchNorm()
    with pytest.raises(TypeError):
        layer(np.ones((4, 3), dtype=object))
    assert layer.gamma.data is None and layer.avg_mean is None


def test_a_lazy_linear_takes_its_input_size_from_the_last_axis() -> None:
    layer = L.Linear(2)
    assert layer(np.ones((5, 4, 3), np.float32)).shape == (5, 4, 2)
    assert layer.W.shape == (3, 2)


@pytest.mark.parametrize("cls", [L.RNN, L.LSTM, L.GRU])
def test_a_recurrent_layer_given_another_batch_size_says_to_reset_its_state(cls) -> None:
    layer = cls(4)
    layer(X)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: x has a batch of 2 but the hidden state from the "
                                         r"previous call has a batch of 4; call reset_state\(\)"):
        layer(X[:2])
    layer.reset_state()
    assert layer(X[:2]).shape == (2, 4)


def test_a_recurrent_layer_keeps_its_state_across_calls_of_the_same_batch() -> None:
    layer = L.LSTM(4)
    h1 = layer(Variable(X))
    h2 = layer(Variable(X))
    assert not np.array_equal(h1.data, h2.data)  # the second step saw the first's state
