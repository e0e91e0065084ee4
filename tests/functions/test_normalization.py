"""batch_norm and layer_norm: statistics, running averages in place, test mode, float32."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import Variable, functions as F, layers as L

RNG = np.random.default_rng(0)


def _params(put: Any, c: int, dtype: Any = None) -> tuple[Any, Any, Any, Any]:
    """gamma = 1, beta = 0, running mean = 0, running var = 1."""
    return (put(np.ones(c), dtype), put(np.zeros(c), dtype), put(np.zeros(c), dtype), put(np.ones(c), dtype))


def test_batch_norm_in_training_normalizes_each_feature_with_the_batch_statistics(put: Any, host: Any) -> None:
    x = RNG.normal(3.0, 2.0, (50, 4))
    y = host(F.batch_norm(put(x), *_params(put, 4), eps=0.0))
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1, rtol=1e-12)


def test_batch_norm_of_images_normalizes_per_channel_over_batch_and_pixels(put: Any, host: Any) -> None:
    x = RNG.normal(0.0, 1.0, (4, 3, 5, 5)) * np.array([1.0, 10.0, 100.0]).reshape(1, 3, 1, 1)
    y = host(F.batch_norm(put(x), *_params(put, 3), eps=0.0))
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-12)


def test_batch_norm_applies_gamma_and_beta_per_channel(put: Any, host: Any) -> None:
    x = np.array([[1.0, 10.0], [3.0, 30.0]])  # per feature: mean 2 and 20, biased std 1 and 10
    _, _, mean, var = _params(put, 2)
    y = host(F.batch_norm(put(x), put(np.array([2.0, 3.0])), put(np.array([0.5, -1.0])), mean, var, eps=0.0))
    np.testing.assert_allclose(y, [[-1.5, -4.0], [2.5, 2.0]])


def test_batch_norm_updates_the_running_averages_in_place(put: Any, host: Any) -> None:
    x = np.array([[1.0], [2.0], [6.0]])  # mean 3, biased variance 14/3, unbiased 7
    gamma, beta, mean, var = _params(put, 1)
    F.batch_norm(put(x), gamma, beta, mean, var, decay=0.9)
    np.testing.assert_allclose(host(mean), [0.9 * 0 + 0.1 * 3])
    np.testing.assert_allclose(host(var), [0.9 * 1 + 0.1 * 7])
    F.batch_norm(put(x), gamma, beta, mean, var, decay=0.9)
    np.testing.assert_allclose(host(mean), [0.9 * 0.3 + 0.1 * 3])


def test_batch_norm_in_test_mode_uses_the_running_averages_and_leaves_them(put: Any, host: Any) -> None:
    gamma, beta = put(np.array([2.0])), put(np.array([1.0]))
    mean, var = put(np.array([4.0])), put(np.array([9.0]))
    with dz.test_mode():
        y = host(F.batch_norm(put(np.array([[1.0], [7.0]])), gamma, beta, mean, var, eps=0.0))
    np.testing.assert_allclose(y, [[2 * (1 - 4) / 3 + 1], [2 * (7 - 4) / 3 + 1]])
    assert host(mean)[0] == 4.0 and host(var)[0] == 9.0


def test_batch_norm_in_test_mode_differentiates_through_the_fixed_statistics(put: Any, host: Any) -> None:
    x = Variable(put(np.array([[1.0], [7.0]])))
    gamma = Variable(put(np.array([2.0])))
    beta, mean, var = put(np.array([1.0])), put(np.array([4.0])), put(np.array([9.0]))
    with dz.test_mode():
        F.sum(F.batch_norm(x, gamma, beta, mean, var, eps=0.0)).backward()
    np.testing.assert_allclose(host(x.grad), [[2 / 3], [2 / 3]])
    np.testing.assert_allclose(host(gamma.grad), [(1 - 4) / 3 + (7 - 4) / 3])


def test_batch_norm_keeps_float32_everywhere(put: Any, host: Any) -> None:
    x = Variable(put(RNG.normal(size=(6, 3, 2, 2)), "float32"))
    gamma, beta, mean, var = (Variable(p) if i < 2 else p for i, p in enumerate(_params(put, 3, "float32")))
    y = F.batch_norm(x, gamma, beta, mean, var)
    F.sum(y * y).backward()
    assert {host(a).dtype for a in (y, x.grad, gamma.grad, beta.grad, mean, var)} == {np.dtype(np.float32)}


def test_batch_norm_names_a_parameter_of_the_wrong_size(put: Any) -> None:
    gamma, beta, mean, var = _params(put, 3)
    with pytest.raises(ValueError, match=r"batch_norm: mean must have shape \(4,\), one value per channel.*got \(3,\)"):
        F.batch_norm(put(np.zeros((2, 4))), put(np.ones(4)), put(np.zeros(4)), mean, var)


def test_layer_norm_normalizes_each_row_over_its_last_axis(put: Any, host: Any) -> None:
    x = np.array([[1.0, 2.0, 3.0, 6.0], [10.0, 10.0, 20.0, 20.0]])
    y = host(F.layer_norm(put(x), put(np.ones(4)), put(np.zeros(4)), eps=0.0))
    np.testing.assert_allclose(y[1], [-1, -1, 1, 1])
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1)


def test_layer_norm_is_the_same_in_test_mode(put: Any, host: Any) -> None:
    x, gamma, beta = put(RNG.normal(size=(3, 5))), put(RNG.normal(size=5)), put(RNG.normal(size=5))
    with dz.test_mode():
        y_test = host(F.layer_norm(x, gamma, beta))
    np.testing.assert_array_equal(host(F.layer_norm(x, gamma, beta)), y_test)


def test_layer_norm_wants_parameters_of_the_last_axis_size(put: Any) -> None:
    with pytest.raises(ValueError, match=r"layer_norm: gamma must have shape \(5,\), one value per feature"):
        F.layer_norm(put(np.zeros((2, 5))), put(np.ones(2)), put(np.zeros(5)))


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1), (0, 3), (0, 3, 4, 4)])
def test_batch_norm_in_training_refuses_one_value_per_channel_or_none(put: Any, host: Any, shape: Any) -> None:
    # one value: the output would be beta and the running variance would decay toward 0; none: NaN
    # running averages forever. As PyTorch: "more than 1 value per channel"
    gamma, beta, mean, var = _params(put, 3)
    with pytest.raises(ValueError, match=rf"batch_norm: expected more than 1 value per channel when training, got "
                                         rf"x of shape {re_shape(shape)}.*test_mode"):
        F.batch_norm(put(np.ones(shape)), gamma, beta, mean, var)
    assert host(mean).tolist() == [0.0] * 3 and host(var).tolist() == [1.0] * 3  # untouched


def test_batch_norm_takes_one_sample_with_several_pixels_per_channel(put: Any) -> None:
    assert F.batch_norm(put(RNG.normal(size=(1, 3, 2, 2))), *_params(put, 3)).shape == (1, 3, 2, 2)


def test_batch_norm_in_test_mode_normalizes_one_sample(put: Any, host: Any) -> None:
    with dz.test_mode():
        y = F.batch_norm(put(np.full((1, 3), 2.0)), *_params(put, 3), eps=0.0)
    assert host(y).tolist() == [[2.0, 2.0, 2.0]]


def test_the_batch_norm_layer_keeps_its_running_averages_after_an_empty_batch() -> None:
    layer = L.BatchNorm()
    layer(RNG.normal(size=(8, 3)))
    before = layer.avg_mean.copy(), layer.avg_var.copy()
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(np.zeros((0, 3)))
    np.testing.assert_array_equal(layer.avg_mean, before[0])
    np.testing.assert_array_equal(layer.avg_var, before[1])


def re_shape(shape: Any) -> str:
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")
