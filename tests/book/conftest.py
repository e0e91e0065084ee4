"""Fixtures for the book's examples run against ``dezero`` (the book's API over dezero_core).

Every test starts from seeded generators, numpy's global one (the book seeds it and draws from it)
and dezero_core's (layer initialization, shuffling), and leaves both as it found them.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pytest

import dezero_core.random


@pytest.fixture(autouse=True)
def seeded() -> Iterator[None]:
    """numpy's global generator and dezero_core's generators seeded with 0 for the test."""
    numpy_state = np.random.get_state()
    core_state = dezero_core.random.get_state()
    np.random.seed(0)
    dezero_core.random.seed(0)
    yield
    np.random.set_state(numpy_state)
    dezero_core.random.set_state(core_state)
