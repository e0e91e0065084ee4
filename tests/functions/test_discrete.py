"""one_hot, argmax/argmin, comparisons and accuracy: constant results with the documented dtypes."""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero_core import Variable, functions as F


def test_one_hot_is_float32_by_default(put: Any, host: Any) -> None:
    y = F.one_hot(put([2, 0], np.int64), 3)
    assert host(y).dtype == np.float32
    np.testing.assert_array_equal(host(y), [[0, 0, 1], [1, 0, 0]])


def test_one_hot_takes_a_dtype_name_or_object(put: Any, host: Any, dezero_backend: Any) -> None:
    assert host(F.one_hot(put([1], np.int64), 2, dtype="int64")).dtype == np.int64
    assert host(F.one_hot(put([1], np.int64), 2, dtype=dezero_backend.xp.float64)).dtype == np.float64


def test_one_hot_infers_the_number_of_classes_and_adds_a_last_axis(put: Any, host: Any) -> None:
    y = F.one_hot(put([[0, 3], [1, 1]], np.int64))
    assert host(y).shape == (2, 2, 4)


def test_one_hot_needs_no_gradient() -> None:
    assert F.one_hot(np.array([0, 1])).requires_grad is False


def test_argmax_is_a_constant_of_indices(put: Any, host: Any) -> None:
    x = Variable(put([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]]))
    y = F.argmax(x, axis=1)
    assert y.requires_grad is False and y.creator is None
    np.testing.assert_array_equal(host(y), [1, 0])
    np.testing.assert_array_equal(host(F.argmin(x, axis=1)), [0, 1])


def test_comparison_gives_a_boolean_constant(put: Any, host: Any) -> None:
    y = F.greater(Variable(put([1.0, 3.0])), 2.0)
    assert y.requires_grad is False
    np.testing.assert_array_equal(host(y), [False, True])


def test_comparison_mask_drives_where_without_gradient_to_the_mask(put: Any, host: Any) -> None:
    x = Variable(put([-1.0, 2.0, -3.0]))
    y = F.where(F.less(x, 0.0), -x, x)  # abs through where
    F.sum(y).backward()
    np.testing.assert_array_equal(host(x.grad), [-1.0, 1.0, -1.0])


def test_accuracy_is_the_fraction_of_correct_argmaxes(put: Any, host: Any) -> None:
    y = Variable(put([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], np.float32))
    acc = F.accuracy(y, put([0, 1, 1, 1], np.int64))
    assert acc.requires_grad is False
    assert host(acc).dtype == np.float32
    assert host(acc) == 0.75


def test_accuracy_leaves_ignored_labels_out(put: Any, host: Any) -> None:
    y = Variable(put([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]))
    assert host(F.accuracy(y, put([0, -1, 1], np.int64), ignore_index=-1)) == 0.5
