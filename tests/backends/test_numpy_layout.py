"""The numpy backend's lean reshape, astype, matrix_transpose and take_along_axis return exactly
what numpy's own functions return, and raise numpy's errors off their common case."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core.backend.selection import get_backend
from dezero_numpy import layout

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7.5


def _same(got, expected):
    assert type(got) is type(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("shape", [(6, 4), (-1,), (4, 1, 6)], ids=str)
@pytest.mark.parametrize("copy", [None, True, False])
def test_reshape_matches_numpy(shape, copy):
    got = layout.reshape(X, shape, copy=copy)
    _same(got, np.reshape(X, shape, copy=copy))
    assert np.shares_memory(got, X) == (copy is not True)


def test_reshape_of_a_transposed_array_without_copy_raises_numpys_error():
    with pytest.raises(ValueError, match="copy"):
        np.reshape(X.mT, (-1,), copy=False)
    with pytest.raises(ValueError, match="copy"):
        layout.reshape(X.mT, (-1,), copy=False)


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.bool_, np.float32])
@pytest.mark.parametrize("copy", [True, False])
def test_astype_matches_numpy(dtype, copy):
    got = layout.astype(X, dtype, copy=copy)
    _same(got, np.astype(X, dtype, copy=copy))
    assert (got is X) == (dtype is np.float32 and not copy)


def test_astype_of_a_numpy_scalar_and_its_device_check_are_numpys():
    _same(layout.astype(np.float32(2.5), np.float64), np.astype(np.float32(2.5), np.float64))
    with pytest.raises(ValueError, match="Device not understood"):
        layout.astype(X, np.float64, device="gpu")


@pytest.mark.parametrize("x", [X, X[0], X[0].mT], ids=["3-d", "2-d", "a view"])
def test_matrix_transpose_matches_numpy(x):
    got = layout.matrix_transpose(x)
    _same(got, np.matrix_transpose(x))
    assert np.shares_memory(got, x)


def test_matrix_transpose_of_a_vector_raises_numpys_error():
    with pytest.raises(ValueError, match="at least 2-dimensional"):
        layout.matrix_transpose(np.ones(3))


@pytest.mark.parametrize("axis", [1, -1])
@pytest.mark.parametrize("index_shape", [(4, 1), (4, 2), (1, 2)], ids=str)
def test_take_along_axis_matches_numpy(axis, index_shape):
    x = np.arange(12, dtype=np.float32).reshape(4, 3) * 1.5
    indices = np.array([[2, 0], [1, 1], [0, 2], [2, 2]], dtype=np.int64)[:index_shape[0], :index_shape[1]]
    _same(layout.take_along_axis(x, indices, axis=axis), np.take_along_axis(x, indices, axis=axis))
    rows = np.array([[3, 0, 1]], dtype=np.int64)  # along axis 0: numpy's own path
    _same(layout.take_along_axis(x, rows, axis=0), np.take_along_axis(x, rows, axis=0))


def test_take_along_axis_picks_hand_computed_values_and_leaves_other_cases_to_numpy():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    picked = layout.take_along_axis(x, np.array([[2], [0]]), axis=1)
    np.testing.assert_array_equal(picked, np.array([[3.0], [4.0]], dtype=np.float32))
    _same(layout.take_along_axis(X, np.zeros((2, 3, 1), dtype=np.int64), axis=-1),
          np.take_along_axis(X, np.zeros((2, 3, 1), dtype=np.int64), axis=-1))
    with pytest.raises(IndexError, match="integer"):
        layout.take_along_axis(x, np.array([[0.0], [1.0]]), axis=1)
    with pytest.raises(IndexError, match="out of bounds"):
        layout.take_along_axis(x, np.array([[3], [0]]), axis=1)


def test_the_backend_hands_them_to_functions():
    ops = get_backend("numpy").ops
    assert ops.reshape is layout.reshape and ops.astype is layout.astype
    assert ops.matrix_transpose is layout.matrix_transpose and ops.take_along_axis is layout.take_along_axis
