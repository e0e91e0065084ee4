"""Labels out of range in a loss: the offending value, its position and the number of classes."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dezero_core import Variable, functions as F


@pytest.fixture
def scores(put: Any) -> Variable:
    return Variable(put(np.zeros((4, 3)), np.float32))


def test_label_equal_to_the_number_of_classes(scores: Variable, put: Any) -> None:
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: label 3 \(at flat position 2 of t, shape "
                                         r"\(4,\)\) is out of range for 3 classes: labels must lie in \[0, 2\]"):
        F.softmax_cross_entropy(scores, put([0, 1, 3, 2], np.int64))


def test_negative_label(scores: Variable, put: Any) -> None:
    with pytest.raises(ValueError, match="label -1 .* out of range for 3 classes"):
        F.softmax_cross_entropy(scores, put([0, -1, 1, 2], np.int64))


def test_ignore_index_is_allowed_but_other_bad_labels_are_not(scores: Variable, put: Any) -> None:
    F.softmax_cross_entropy(scores, put([0, -100, 1, 2], np.int64), ignore_index=-100)
    with pytest.raises(ValueError, match=r"label 7 .* for 3 classes: labels must lie in \[0, 2\], or ignore_index=-100"):
        F.softmax_cross_entropy(scores, put([0, -100, 7, 2], np.int64), ignore_index=-100)


def test_float_labels_are_refused(scores: Variable, put: Any) -> None:
    with pytest.raises(TypeError, match="softmax_cross_entropy: labels t must be integer class indices, got dtype"):
        F.softmax_cross_entropy(scores, put([0.0, 1.0, 1.0, 2.0], np.float32))


def test_binary_label_of_two(put: Any) -> None:
    with pytest.raises(ValueError, match=r"sigmoid_cross_entropy: label 2 .* out of range for 2 classes"):
        F.sigmoid_cross_entropy(Variable(put(np.zeros(3), np.float32)), put([0, 2, 1], np.int64))


def test_soft_binary_target_outside_zero_one(put: Any) -> None:
    with pytest.raises(ValueError, match=r"binary_cross_entropy: targets t must lie in \[0, 1\], got values "
                                         r"from 0.0 to 1.5"):
        F.binary_cross_entropy(Variable(put(np.full(2, 0.5), np.float32)), put([0.0, 1.5], np.float32))


def test_one_hot_label_out_of_range(put: Any) -> None:
    with pytest.raises(ValueError, match="one_hot: label 5 .* out of range for 4 classes"):
        F.one_hot(put([1, 5], np.int64), 4)
