"""dropout: identity in test mode; in training, a seeded mask with the kept elements scaled up."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import Variable, functions as F


def test_dropout_is_the_identity_in_test_mode(put: Any, host: Any) -> None:
    x = np.arange(6.0).reshape(2, 3)
    with dz.test_mode():
        y = F.dropout(put(x), 0.9)
    assert isinstance(y, Variable)
    np.testing.assert_array_equal(host(y), x)


def test_dropout_zeroes_some_elements_and_scales_the_rest_by_one_over_keep(put: Any, host: Any) -> None:
    dz.random.seed(0)
    y = host(F.dropout(put(np.ones((200, 100))), 0.3))
    assert set(np.unique(y)) == {0.0, 1 / 0.7}
    assert abs((y == 0).mean() - 0.3) < 0.01  # 20,000 draws: the dropped fraction is about the ratio
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_masks_repeat_with_the_seed(put: Any, host: Any) -> None:
    x = put(np.ones((4, 5)))
    dz.random.seed(3)
    first = host(F.dropout(x))
    dz.random.seed(3)
    np.testing.assert_array_equal(host(F.dropout(x)), first)


def test_dropout_gradient_is_the_scaled_mask(put: Any, host: Any) -> None:
    x = Variable(put(np.full((3, 4), 5.0)))
    y = F.dropout(x, 0.5)
    F.sum(y).backward()
    np.testing.assert_array_equal(host(x.grad), host(y) / 5.0)


def test_dropout_keeps_float32(put: Any, host: Any) -> None:
    x = Variable(put(np.ones((3, 4)), "float32"))
    y = F.dropout(x, 0.25)
    F.sum(y).backward()
    assert host(y).dtype == host(x.grad).dtype == np.float32


@pytest.mark.parametrize("ratio", [-0.1, 1.0])
def test_dropout_ratio_must_lie_in_zero_to_one(put: Any, ratio: float) -> None:
    with pytest.raises(ValueError, match=r"dropout_ratio must be in \[0, 1\)"):
        F.dropout(put(np.ones(3)), ratio)
