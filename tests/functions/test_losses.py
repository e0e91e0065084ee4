"""Losses: dtype kept end to end, ignore_index and label_smoothing against hand computation."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from dezero_core import Variable, functions as F

SCORES = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0], [1.0, -2.0, 0.0]])
LABELS = np.array([0, 2, 1])


def _log_softmax(rows: np.ndarray) -> np.ndarray:
    return rows - np.log(np.exp(rows).sum(axis=1, keepdims=True))


def test_softmax_cross_entropy_float32_stays_float32_forward_and_backward(put: Any, host: Any) -> None:
    x = Variable(put(SCORES, np.float32))
    loss = F.softmax_cross_entropy(x, put(LABELS, np.int64), label_smoothing=0.1)
    loss.backward()
    assert host(loss).dtype == np.float32
    assert host(x.grad).dtype == np.float32


def test_softmax_cross_entropy_float32_gradients_of_gradients_stay_float32(put: Any, host: Any) -> None:
    x = Variable(put(SCORES, np.float32))
    F.softmax_cross_entropy(x, put(LABELS, np.int64)).backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    F.sum(gx * gx).backward()
    assert host(gx).dtype == np.float32
    assert host(x.grad).dtype == np.float32


def test_softmax_cross_entropy_is_the_mean_negative_log_probability_of_the_label(put: Any, host: Any) -> None:
    loss = F.softmax_cross_entropy(Variable(put(SCORES)), put(LABELS, np.int64))
    expected = -np.mean(_log_softmax(SCORES)[np.arange(3), LABELS])
    np.testing.assert_allclose(host(loss), expected, rtol=1e-12)


def test_ignore_index_leaves_the_sample_out_of_loss_and_mean(put: Any, host: Any) -> None:
    x = Variable(put(SCORES))
    loss = F.softmax_cross_entropy(x, put([0, -100, 1], np.int64), ignore_index=-100)
    loss.backward()
    log_p = _log_softmax(SCORES)
    np.testing.assert_allclose(host(loss), -(log_p[0, 0] + log_p[2, 1]) / 2, rtol=1e-12)
    np.testing.assert_array_equal(host(x.grad)[1], 0.0)  # the ignored sample gets no gradient
    p = np.exp(log_p)
    np.testing.assert_allclose(host(x.grad)[0], (p[0] - [1, 0, 0]) / 2, rtol=1e-12)


def test_every_label_ignored_gives_zero_loss_and_zero_gradient(put: Any, host: Any) -> None:
    x = Variable(put(SCORES))
    loss = F.softmax_cross_entropy(x, put([-1, -1, -1], np.int64), ignore_index=-1)
    loss.backward()
    assert host(loss) == 0.0
    np.testing.assert_array_equal(host(x.grad), 0.0)


def test_label_smoothing_mixes_the_one_hot_target_with_the_uniform_one(put: Any, host: Any) -> None:
    eps, classes = 0.3, 3
    x = Variable(put(SCORES))
    loss = F.softmax_cross_entropy(x, put(LABELS, np.int64), label_smoothing=eps)
    loss.backward()
    # by hand: the label gets 1 - eps + eps/C = 0.8, every other class eps/C = 0.1
    target = np.full((3, classes), 0.1)
    target[np.arange(3), LABELS] = 0.8
    np.testing.assert_allclose(host(loss), -np.mean((target * _log_softmax(SCORES)).sum(axis=1)), rtol=1e-12)
    np.testing.assert_allclose(host(x.grad), (np.exp(_log_softmax(SCORES)) - target) / 3, rtol=1e-12)


def test_class_axis_is_axis_one_for_per_position_labels(put: Any, host: Any) -> None:
    scores = np.random.default_rng(0).normal(size=(2, 3, 4))  # (N, C, length)
    labels = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    loss = F.softmax_cross_entropy(Variable(put(scores)), put(labels, np.int64))
    log_p = _log_softmax(np.moveaxis(scores, 1, -1).reshape(-1, 3))
    np.testing.assert_allclose(host(loss), -np.mean(log_p[np.arange(8), labels.reshape(-1)]), rtol=1e-12)


def test_cross_entropy_is_softmax_cross_entropy(put: Any, host: Any) -> None:
    x, t = Variable(put(SCORES)), put(LABELS, np.int64)
    assert host(F.cross_entropy(x, t)) == host(F.softmax_cross_entropy(x, t))


def test_sigmoid_cross_entropy_is_finite_for_huge_logits(put: Any, host: Any) -> None:
    x = Variable(put([200.0, -200.0, 200.0], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        loss = F.sigmoid_cross_entropy(x, put([1, 0, 0], np.int64))
        loss.backward()
    np.testing.assert_allclose(host(loss), 200.0 / 3, rtol=1e-6)
    np.testing.assert_allclose(host(x.grad), [0.0, 0.0, 1 / 3], atol=1e-7)


def test_binary_cross_entropy_of_certain_wrong_prediction_is_clamped_at_100(put: Any, host: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log(0), before the clamp
        loss = F.binary_cross_entropy(Variable(put([0.0, 1.0])), put([1, 1], np.int64))
    np.testing.assert_allclose(host(loss), 50.0)  # (100 + 0) / 2


def test_mean_squared_error_averages_over_every_element(put: Any, host: Any) -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.zeros((2, 3))
    assert host(F.mean_squared_error(Variable(put(a)), put(b))) == pytest.approx(np.mean(a ** 2))


def test_softmax_cross_entropy_hand_value_for_uniform_scores(put: Any, host: Any) -> None:
    loss = F.softmax_cross_entropy(Variable(put(np.zeros((2, 4)))), put([1, 3], np.int64))
    assert host(loss) == pytest.approx(math.log(4))
