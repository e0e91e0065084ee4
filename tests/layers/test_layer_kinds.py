"""The built-in layers: parameter shapes, lazy sizes, dtypes, backends and what they compute."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import functions as F
from dezero_core import layers as L
from dezero_core.backend.selection import backend_of


def test_lazy_linear_takes_its_input_size_from_the_first_batch():
    layer = L.Linear(4)
    assert layer.W.data is None and layer.b.data is None
    y = layer(np.ones((3, 5), np.float32))
    assert layer.W.shape == (5, 4) and layer.b.shape == (4,) and y.shape == (3, 4)


def test_lazy_linear_takes_the_dtype_and_backend_of_its_input():
    layer = L.Linear(4)
    layer(np.ones((3, 5), np.float64))
    assert layer.W.dtype == np.float64 and layer.b.dtype == np.float64


def test_lazy_linear_on_the_strict_backend_creates_strict_parameters():
    pytest.importorskip("array_api_strict")
    strict = dz.get_backend("strict")
    layer = L.Linear(4)
    layer(strict.from_host(np.ones((3, 5), np.float32)))
    assert backend_of(layer.W.data) is strict and backend_of(layer.b.data) is strict


def test_eager_linear_defaults_to_float32_and_draws_from_n_0_1_over_in_size():
    dz.random.seed(0)
    layer = L.Linear(2000, in_size=500)
    assert layer.W.dtype == np.float32 and layer.W.shape == (500, 2000)
    assert layer.W.data.std() == pytest.approx((1 / 500) ** 0.5, rel=0.01)
    np.testing.assert_array_equal(layer.b.data, np.zeros(2000, np.float32))


def test_explicit_dtype_wins():
    assert L.Linear(3, in_size=2, dtype="float64").W.dtype == np.float64
    lazy = L.Linear(3, dtype="float64")
    lazy(np.ones((1, 2), np.float32))
    assert lazy.W.dtype == np.float64


def test_the_same_seed_gives_the_same_initial_weights():
    dz.random.seed(42)
    a = L.Linear(3, in_size=4).W.data
    dz.random.seed(42)
    np.testing.assert_array_equal(L.Linear(3, in_size=4).W.data, a)


def test_linear_computes_x_W_plus_b():
    layer = L.Linear(3, in_size=2)
    x = np.arange(4, dtype=np.float32).reshape(2, 2)
    np.testing.assert_allclose(layer(x).data, x @ layer.W.data + layer.b.data, rtol=1e-6)


def test_nobias_linear_has_only_W():
    layer = L.Linear(3, nobias=True, in_size=2)
    assert [name for name, _ in layer.named_params()] == ["W"]


def test_conv2d_weight_shape_and_lazy_channels():
    layer = L.Conv2d(8, kernel_size=3, stride=1, pad=1)
    y = layer(np.ones((2, 3, 5, 5), np.float32))
    assert layer.W.shape == (8, 3, 3, 3) and y.shape == (2, 8, 5, 5)


def test_conv2d_with_a_kernel_pair_and_stride():
    layer = L.Conv2d(4, kernel_size=(3, 2), stride=2, pad=0, in_channels=1)
    assert layer.W.shape == (4, 1, 3, 2)
    assert layer(np.ones((1, 1, 7, 6), np.float32)).shape == (1, 4, 3, 3)


def test_deconv2d_weight_shape_and_output_size():
    layer = L.Deconv2d(4, kernel_size=4, stride=2, pad=1)
    y = layer(np.ones((2, 3, 5, 5), np.float32))
    assert layer.W.shape == (3, 4, 4, 4) and y.shape == (2, 4, 10, 10)


def test_batch_norm_updates_its_running_statistics_in_training():
    layer = L.BatchNorm()
    x = np.random.default_rng(0).normal(3.0, 2.0, (50, 4)).astype(np.float32)
    layer(x)
    np.testing.assert_allclose(layer.avg_mean, 0.1 * x.mean(axis=0), rtol=1e-5)
    assert layer.gamma.shape == (4,) and layer.avg_var.dtype == np.float32


def test_batch_norm_uses_its_running_statistics_in_test_mode():
    layer = L.BatchNorm(size=2)
    layer.avg_mean = np.array([1.0, -1.0], np.float32)
    layer.avg_var = np.array([4.0, 1.0], np.float32)
    x = np.array([[3.0, 0.0]], np.float32)
    with dz.test_mode():
        y = layer(x)
    np.testing.assert_allclose(y.data, [[1.0, 1.0]], rtol=1e-4)


def test_batch_norm_statistics_are_buffers_in_the_state_dict():
    layer = L.BatchNorm(size=3)
    assert set(layer.state_dict()) == {"avg_mean", "avg_var", "beta", "gamma"}
    assert [name for name, _ in layer.named_params()] == ["beta", "gamma"]


def test_batch_norm_over_channels_of_images():
    layer = L.BatchNorm()
    y = layer(np.ones((2, 3, 4, 4), np.float32))
    assert layer.gamma.shape == (3,) and y.shape == (2, 3, 4, 4)


def test_layer_norm_normalizes_the_last_axis():
    layer = L.LayerNorm()
    x = np.random.default_rng(0).normal(5.0, 3.0, (4, 6)).astype(np.float32)
    y = layer(x).data
    assert layer.gamma.shape == (6,)
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=-1), 1.0, rtol=1e-3)


def test_embed_id_looks_up_rows():
    layer = L.EmbedID(10, 3)
    ids = np.array([[1, 4], [4, 9]])
    y = layer(ids)
    assert y.shape == (2, 2, 3)
    np.testing.assert_array_equal(y.data[1, 0], layer.W.data[4])


def test_dropout_passes_through_in_test_mode():
    x = np.ones((10, 10), np.float32)
    with dz.test_mode():
        np.testing.assert_array_equal(L.Dropout(0.5)(x).data, x)


def test_dropout_rejects_a_ratio_of_one():
    with pytest.raises(ValueError, match=r"dropout_ratio must be in \[0, 1\)"):
        L.Dropout(1.0)


def test_sequential_applies_layers_and_functions_in_order():
    net = L.Sequential(L.Linear(5, in_size=3), F.relu, L.Linear(2, in_size=5))
    assert [name for name, _ in net.named_params()] == ["l0/W", "l0/b", "l2/W", "l2/b"]
    x = np.ones((4, 3), np.float32)
    expected = np.maximum(x @ net[0].W.data + net[0].b.data, 0) @ net[2].W.data + net[2].b.data
    np.testing.assert_allclose(net(x).data, expected, rtol=1e-5)
    assert len(net) == 3


def test_sequential_rejects_what_is_not_callable():
    with pytest.raises(TypeError, match="layers or callables"):
        L.Sequential(3)
