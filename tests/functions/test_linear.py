"""linear: y = x @ W + b with the book's W (in, out); no input gradient for a constant batch."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dezero_core import Variable, functions as F


def test_linear_is_x_times_w_plus_b(put: Any, host: Any) -> None:
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]])  # (in=2, out=3)
    np.testing.assert_array_equal(host(F.linear(put(x), put(W), put(np.array([0.5, 0.5, 0.5])))), [[1.5, 2.5, 8.5]])
    np.testing.assert_array_equal(host(F.linear(put(x), put(W))), [[1, 2, 8]])


def test_linear_gradients_by_hand(put: Any, host: Any) -> None:
    x, W, b = Variable(put(np.array([[1.0, 2.0], [3.0, 4.0]]))), Variable(put(np.eye(2))), Variable(put(np.zeros(2)))
    F.sum(F.linear(x, W, b) * put(np.array([[1.0, 0.0], [0.0, 2.0]]))).backward()
    np.testing.assert_array_equal(host(x.grad), [[1, 0], [0, 2]])
    np.testing.assert_array_equal(host(W.grad), [[1, 6], [2, 8]])  # x.T @ gy
    np.testing.assert_array_equal(host(b.grad), [1, 2])


def test_linear_returns_no_input_gradient_for_a_constant_batch(put: Any) -> None:
    W = Variable(put(np.ones((3, 2))))
    y = F.linear(put(np.ones((4, 3))), W)
    gx, gW = y.creator.backward(W.backend.ops, (put(np.ones((4, 3))), W.data), y.data, put(np.ones((4, 2))))
    assert gx is None and gW is not None


def test_linear_takes_leading_batch_axes(put: Any, host: Any) -> None:
    x, W = Variable(put(np.ones((2, 5, 3)))), Variable(put(np.ones((3, 4))))
    y = F.linear(x, W)
    F.sum(y).backward()
    assert host(y).shape == (2, 5, 4)
    np.testing.assert_array_equal(host(W.grad), np.full((3, 4), 10.0))


def test_linear_keeps_float32(put: Any, host: Any) -> None:
    x, W, b = (Variable(put(np.ones(s), "float32")) for s in ((2, 3), (3, 4), (4,)))
    y = F.linear(x, W, b)
    F.sum(y).backward()
    assert {host(v).dtype for v in (y, x.grad, W.grad, b.grad)} == {np.dtype(np.float32)}


def test_linear_explains_the_books_weight_layout(put: Any) -> None:
    with pytest.raises(ValueError, match=r"x of shape \(2, 3\) must end with W's input size 4 .*= \(4, 3\)"):
        F.linear(put(np.ones((2, 3))), put(np.ones((4, 3))))
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        F.linear(put(np.ones((2, 3))), put(np.ones((3, 4))), put(np.ones(3)))
