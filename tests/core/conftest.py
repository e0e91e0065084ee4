"""Fixtures for the graph-core tests: arrays of the backend under test, and numerical gradients.

Tests that take ``put`` (or ``host``, ``numerical_grad``) run once per ``--dezero-backend`` name:
numpy, and the strict array-API backend that proves the core assumes nothing about numpy. Tests
that need numpy itself (``ndarray + Variable``) use numpy directly.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

from dezero_core import Variable

#: put(host_data, dtype=None) -> an array of the backend under test
Put = Callable[..., Any]
#: host(variable_or_array) -> its data as a numpy array
Host = Callable[[Any], np.ndarray]


@pytest.fixture
def put(dezero_backend: Any) -> Put:
    """``put(host_data, dtype=None)``: an array of the backend under test (float64 by default)."""
    def put(data: Any, dtype: Any = np.float64) -> Any:
        return dezero_backend.from_host(np.asarray(data, dtype=dtype))
    return put


@pytest.fixture
def host(dezero_backend: Any) -> Host:
    """``host(variable_or_array)``: its data as a numpy array."""
    return lambda v: np.asarray(dezero_backend.to_host(getattr(v, "data", v)))


@pytest.fixture
def numerical_grad(put: Put, host: Host) -> Callable[..., list[np.ndarray]]:
    """``numerical_grad(f, *host_arrays)``: d f / d each input by central differences, in float64.

    ``f`` takes Variables (one per host array, on the backend under test) and returns a scalar
    Variable.
    """
    def numerical_grad(f: Callable[..., Variable], *arrays: np.ndarray, eps: float = 1e-6) -> list[np.ndarray]:
        arrays = [np.array(a, dtype=np.float64) for a in arrays]

        def value() -> float:
            return float(host(f(*[Variable(put(a)) for a in arrays])))

        grads = []
        for a in arrays:
            g = np.zeros_like(a)
            for i in np.ndindex(a.shape):
                saved = a[i]
                a[i] = saved + eps
                up = value()
                a[i] = saved - eps
                down = value()
                a[i] = saved
                g[i] = (up - down) / (2 * eps)
            grads.append(g)
        return grads
    return numerical_grad


@pytest.fixture
def check_grad(put: Put, host: Host, numerical_grad: Callable[..., list[np.ndarray]]) -> Callable[..., None]:
    """``check_grad(f, *host_arrays)``: backward's gradients of ``f`` equal the numerical ones."""
    def check_grad(f: Callable[..., Variable], *arrays: np.ndarray) -> None:
        xs = [Variable(put(a)) for a in arrays]
        f(*xs).backward()
        for x, expected in zip(xs, numerical_grad(f, *arrays)):
            assert x.grad is not None
            np.testing.assert_allclose(host(x.grad), expected, rtol=1e-6, atol=1e-8)
    return check_grad
