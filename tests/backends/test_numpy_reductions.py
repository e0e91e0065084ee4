"""The numpy backend's lean reductions return exactly what numpy's own functions return."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core.backend.selection import get_backend
from dezero_numpy import reductions

ARRAYS = {
    "float32 (4, 3, 2)": np.arange(24, dtype=np.float32).reshape(4, 3, 2) - 7.5,
    "int32 (5,)": np.array([3, -1, 4, 1, -5], dtype=np.int32),
    "bool (2, 3)": np.array([[True, False, True], [True, True, False]]),
    "float64 0-d": np.array(2.5),
}
AXES = [None, 0, -1, (0, -1)]


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min"])
@pytest.mark.parametrize("label", ARRAYS)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_each_reduction_matches_numpy(name, label, axis, keepdims):
    x = ARRAYS[label]
    if axis is not None and x.ndim == 0:
        pytest.skip("a 0-d array has no axis to reduce")
    try:
        expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    except ValueError as error:  # (0, -1) on a 1-d array: the same error from both
        with pytest.raises(ValueError, match=str(error)):
            getattr(reductions, name)(x, axis=axis, keepdims=keepdims)
        return
    got = getattr(reductions, name)(x, axis=axis, keepdims=keepdims)
    assert type(got) is type(expected)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_sum_takes_a_dtype():
    x = np.ones((3, 4), dtype=np.float32)
    assert reductions.sum(x, axis=0, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("name", ["max", "min"])
def test_an_empty_max_or_min_raises_numpys_error(name):
    with pytest.raises(ValueError, match="zero-size array to reduction operation"):
        getattr(reductions, name)(np.ones((0,)))


def test_the_backend_hands_them_to_functions():
    ops = get_backend("numpy").ops
    assert ops.sum is reductions.sum and ops.max is reductions.max
    assert ops.mean is np.mean  # names without a lean version stay numpy's
