"""Activations and erf: accuracy and stability beyond the conformance samples' range."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from dezero_core import Variable, functions as F

GRID = np.linspace(-8.0, 8.0, 4001)
MATH_ERF = np.vectorize(math.erf)


def test_erf_float64_matches_the_c_library_to_rounding(put: Any, host: Any) -> None:
    assert np.max(np.abs(host(F.erf(Variable(put(GRID)))) - MATH_ERF(GRID))) < 2e-15


def test_erf_float32_is_within_a_few_ulp(put: Any, host: Any) -> None:
    x32 = GRID.astype(np.float32)
    got = host(F.erf(Variable(put(x32))))
    assert got.dtype == np.float32
    assert np.max(np.abs(got - MATH_ERF(x32.astype(np.float64)))) < 5e-7


def test_erf_of_infinities_and_nan(put: Any, host: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = host(F.erf(Variable(put([np.inf, -np.inf]))))
    np.testing.assert_array_equal(y, [1.0, -1.0])
    assert np.isnan(host(F.erf(Variable(put([np.nan])))))[0]


def test_gelu_tanh_approximation_is_close_to_the_exact_one(put: Any, host: Any) -> None:
    x = Variable(put(GRID))
    gap = np.abs(host(F.gelu(x)) - host(F.gelu(x, approximate="tanh")))
    assert 1e-4 < gap.max() < 5e-4


def test_gelu_rejects_an_unknown_approximation(put: Any) -> None:
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(Variable(put([1.0])), approximate="erf")


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "elu", "silu", "log_softmax", "softmax"])
def test_no_overflow_at_huge_inputs(name: str, put: Any, host: Any) -> None:
    x = Variable(put([[-1000.0, 1000.0]], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(F, name)(x)
        F.sum(y).backward()
    assert np.all(np.isfinite(host(y))) and np.all(np.isfinite(host(x.grad)))


def test_relu_gradient_at_zero_is_zero(put: Any, host: Any) -> None:
    x = Variable(put([-1.0, 0.0, 2.0]))
    F.sum(F.relu(x)).backward()
    np.testing.assert_array_equal(host(x.grad), [0.0, 0.0, 1.0])


def test_float32_activations_stay_float32(put: Any, host: Any) -> None:
    x = Variable(put([[-0.5, 0.5]], np.float32))
    for fn in (F.relu, F.sigmoid, F.gelu, F.silu, F.softplus, F.elu, F.leaky_relu, F.softmax, F.log_softmax):
        x.cleargrad()
        y = fn(x)
        F.sum(y).backward()
        assert host(y).dtype == np.float32, fn.__name__
        assert host(x.grad).dtype == np.float32, fn.__name__
