"""pooling (max) and average_pooling: values by hand, Chainer's geometry, where gradients go."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dezero_core import Variable, functions as F


def _image(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=np.float64)[None, None]


def test_pooling_takes_the_maximum_of_every_window(put: Any, host: Any) -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(host(F.pooling(put(x), 2, 2))[0, 0], [[5, 7], [13, 15]])


def test_pooling_stride_defaults_to_one_as_in_the_book(put: Any, host: Any) -> None:
    x = _image([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    np.testing.assert_array_equal(host(F.pooling(put(x), 2))[0, 0], [[5, 6], [8, 9]])


def test_pooling_drops_a_last_partial_window_like_chainer_cover_all_false(put: Any, host: Any) -> None:
    assert host(F.pooling(put(np.zeros((1, 1, 5, 5))), 2, 2)).shape == (1, 1, 2, 2)


def test_pooling_padding_never_wins_the_maximum(put: Any, host: Any) -> None:
    x = -np.ones((1, 1, 2, 2)) - np.arange(4.0).reshape(1, 1, 2, 2)  # all negative
    y = host(F.pooling(put(x), 2, 1, pad=1))
    np.testing.assert_array_equal(y[0, 0], [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])


def test_pooling_gradient_goes_to_the_first_maximum_of_a_tie(put: Any, host: Any) -> None:
    x = Variable(put(np.zeros((1, 1, 2, 2))))
    F.sum(F.pooling(x, 2, 2)).backward()
    np.testing.assert_array_equal(host(x.grad)[0, 0], [[1, 0], [0, 0]])


def test_pooling_gradient_adds_up_where_overlapping_windows_share_a_maximum(put: Any, host: Any) -> None:
    x = Variable(put(_image([[0, 0, 0, 0], [0, 9, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])))
    y = F.pooling(x, 3, 1, pad=1)  # 4x4 output; the 9 lies in the windows centred on its 3x3 block
    F.sum(y * put(np.arange(16.0).reshape(1, 1, 4, 4))).backward()
    g = host(x.grad)[0, 0]
    assert g[1, 1] == 0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10
    assert g.sum() == np.arange(16.0).sum()  # every window sends its gradient to exactly one pixel


def test_pooling_keeps_float32(put: Any, host: Any) -> None:
    x = Variable(put(np.random.default_rng(0).random((2, 3, 4, 4)), "float32"))
    y = F.pooling(x, 2, 2)
    F.sum(y).backward()
    assert host(y).dtype == host(x.grad).dtype == np.float32


def test_average_pooling_is_the_window_mean(put: Any, host: Any) -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(host(F.average_pooling(put(x), 2, 2))[0, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_average_pooling_counts_the_zero_padding_in_the_mean(put: Any, host: Any) -> None:
    y = host(F.average_pooling(put(np.ones((1, 1, 2, 2))), 2, 1, pad=1))
    np.testing.assert_array_equal(y[0, 0], [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]])


def test_average_pooling_spreads_the_gradient_evenly(put: Any, host: Any) -> None:
    x = Variable(put(np.zeros((1, 1, 4, 4))))
    F.sum(F.average_pooling(x, 2, 2) * put(np.array([[[[4.0, 8.0], [12.0, 16.0]]]]))).backward()
    np.testing.assert_array_equal(host(x.grad)[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


def test_pooling_rejects_a_window_larger_than_the_padded_input(put: Any) -> None:
    with pytest.raises(ValueError, match=r"pooling: the 3x3 kernel does not fit in the input of shape \(1, 1, 2, 2\)"):
        F.pooling(put(np.zeros((1, 1, 2, 2))), 3)


def test_average_pooling_asks_for_an_nchw_float_batch(put: Any) -> None:
    with pytest.raises(ValueError, match=r"average_pooling: x must have shape \(N, C, H, W\)"):
        F.average_pooling(put(np.zeros((4, 4))), 2)
    with pytest.raises(TypeError, match=r"average_pooling: x has dtype \S*int32.*float32"):
        F.average_pooling(put(np.zeros((1, 1, 4, 4), dtype=np.int32)), 2)
