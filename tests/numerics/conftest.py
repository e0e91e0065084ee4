"""Fixtures for the numerics tests: arrays of the backend under test, and back to the host."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest


@pytest.fixture
def put(dezero_backend: Any) -> Callable[..., Any]:
    """``put(host_data, dtype=None)``: an array of the backend under test."""
    def put(data: Any, dtype: Any = None) -> Any:
        return dezero_backend.from_host(np.asarray(data, dtype=dtype))
    return put


@pytest.fixture
def host(dezero_backend: Any) -> Callable[[Any], np.ndarray]:
    """``host(variable_or_array)``: its data as a numpy array."""
    return lambda v: np.asarray(dezero_backend.to_host(getattr(v, "data", v)))
