"""embed_id: rows looked up by id; repeated ids add their gradients up."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dezero_core import Variable, functions as F


def test_embed_id_picks_the_rows_of_the_ids(put: Any, host: Any) -> None:
    W = np.arange(12.0).reshape(4, 3)
    y = host(F.embed_id(put(np.array([[3, 0], [1, 3]])), put(W)))
    assert y.shape == (2, 2, 3)
    np.testing.assert_array_equal(y[0, 0], W[3])
    np.testing.assert_array_equal(y[1, 0], W[1])


def test_embed_id_gradient_adds_up_repeated_ids(put: Any, host: Any) -> None:
    W = Variable(put(np.zeros((4, 2))))
    y = F.embed_id(put(np.array([2, 0, 2, 2])), W)
    F.sum(y * put(np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]]))).backward()
    np.testing.assert_array_equal(host(W.grad), [[2, 20], [0, 0], [1 + 3 + 4, 10 + 30 + 40], [0, 0]])


def test_embed_id_keeps_float32(put: Any, host: Any) -> None:
    W = Variable(put(np.ones((3, 2)), "float32"))
    F.sum(F.embed_id(put(np.array([0, 0])), W)).backward()
    assert host(W.grad).dtype == np.float32


def test_embed_id_rejects_ids_outside_the_table(put: Any) -> None:
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\] for W of shape \(4, 2\), got ids from -1 to 2"):
        F.embed_id(put(np.array([0, -1, 2])), put(np.zeros((4, 2))))


def test_embed_id_wants_integer_ids(put: Any) -> None:
    with pytest.raises(TypeError, match=r"ids x must be an integer array"):
        F.embed_id(put(np.array([0.0, 1.0])), put(np.zeros((4, 2))))
