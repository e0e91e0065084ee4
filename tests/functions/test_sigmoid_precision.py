"""sigmoid and what inherits it (silu, the softplus gradient, the sigmoid cross-entropy gradient),
against values computed in Python's double precision from the form that does not cancel.

The tanh form ``tanh(x/2)/2 + 1/2`` lost relative precision for negative x: float32 ``sigmoid(-10)``
was off by 2e-4 and 0 below -17 (true: 2e-9), float64 0 below -37, and ``log(sigmoid(x))`` -inf.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from dezero_core import Variable, functions as F

XS = np.concatenate([-np.geomspace(80, 1e-3, 40), [0.0], np.geomspace(1e-3, 80, 40)])
#: relative error allowed, in units of the dtype's epsilon
ULPS = 4


def true_sigmoid(x: float) -> float:
    """1 / (1 + e^-x) in double precision, from the side where nothing cancels."""
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got.astype(np.float64) - want) / np.abs(want)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_keeps_relative_precision_on_both_sides(put, host, dtype) -> None:
    x = XS.astype(dtype)
    want = np.array([true_sigmoid(float(v)) for v in x])
    got = host(F.sigmoid(put(x)))
    assert got.dtype == np.dtype(dtype)
    assert relative_error(got, want) < ULPS * np.finfo(dtype).eps


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_of_sigmoid_is_finite_where_sigmoid_is_representable(put, host, dtype) -> None:
    x = np.array([-80.0, -40.0, -20.0, -17.5], dtype)  # the tanh form gave 0 (log: -inf) in float32
    got = host(F.log(F.sigmoid(put(x))))
    np.testing.assert_allclose(got, x.astype(np.float64) - np.log1p(np.exp(x.astype(np.float64))),
                               rtol=ULPS * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_never_overflows(put, host, dtype) -> None:
    with np.errstate(over="raise", invalid="raise"):  # the naive 1 / (1 + exp(-x)) overflows here
        got = host(F.sigmoid(put(np.array([-1e4, -800.0, 800.0, 1e4], dtype))))
    assert got.tolist() == [0.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_silu_and_its_gradient_keep_relative_precision_for_negative_inputs(put, host, dtype) -> None:
    x = np.array([-60.0, -30.0, -15.0, -5.0], dtype)
    v = Variable(put(x))
    y = F.silu(v)
    y.backward()
    s = np.array([true_sigmoid(float(t)) for t in x])
    xd = x.astype(np.float64)
    assert relative_error(host(y), xd * s) < ULPS * np.finfo(dtype).eps
    assert relative_error(host(v.grad), s * (1 + xd * (1 - s))) < 2 * ULPS * np.finfo(dtype).eps


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_gradient_is_the_precise_sigmoid(put, host, dtype) -> None:
    x = np.array([-60.0, -25.0, -8.0, 3.0], dtype)
    v = Variable(put(x))
    F.sum(F.softplus(v)).backward()
    want = np.array([true_sigmoid(float(t)) for t in x])
    assert relative_error(host(v.grad), want) < ULPS * np.finfo(dtype).eps
