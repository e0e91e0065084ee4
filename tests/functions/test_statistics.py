"""Reductions: tie handling, edge values and the variance's correction."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from dezero_core import Variable, functions as F


def test_tied_maxima_share_the_gradient(put: Any, host: Any) -> None:
    x = Variable(put([[3.0, 1.0, 3.0], [0.0, 2.0, 1.0]]))
    F.sum(F.max(x, axis=1)).backward()
    np.testing.assert_array_equal(host(x.grad), [[0.5, 0, 0.5], [0, 1, 0]])


def test_tied_minima_share_the_gradient(put: Any, host: Any) -> None:
    x = Variable(put([1.0, 1.0, 1.0, 4.0]))
    F.min(x).backward()
    np.testing.assert_allclose(host(x.grad), [1 / 3, 1 / 3, 1 / 3, 0])


def test_logsumexp_of_an_all_minus_inf_row_is_minus_inf_without_nan(put: Any, host: Any) -> None:
    x = Variable(put([[-np.inf, -np.inf], [0.0, 0.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log(0) is -inf, as it should be
        y = F.logsumexp(x, axis=1)
    np.testing.assert_allclose(host(y), [-np.inf, np.log(2.0)])


def test_logsumexp_does_not_overflow(put: Any, host: Any) -> None:
    y = F.logsumexp(Variable(put([1000.0, 1000.0], np.float32)))
    np.testing.assert_allclose(host(y), 1000.0 + np.log(2.0), rtol=1e-6)


def test_var_correction_one_is_the_unbiased_estimate(put: Any, host: Any) -> None:
    x = Variable(put([1.0, 2.0, 3.0, 6.0]))
    assert host(F.var(x, correction=1)) == np.var([1.0, 2.0, 3.0, 6.0], ddof=1)
    assert host(F.std(x)) == np.std([1.0, 2.0, 3.0, 6.0])


def test_average_is_mean(put: Any, host: Any) -> None:
    x = Variable(put(np.arange(6.0).reshape(2, 3)))
    np.testing.assert_array_equal(host(F.average(x, axis=0)), host(F.mean(x, axis=0)))
