"""Fixtures of the cupy backend's tests: the registered backend, and the GPU gate.

Tests that need a working GPU ask for ``gpu``; where cupy or a device is missing they are skipped
with the backend's own reason, so a CPU-only run says exactly why they did not run.
"""
from __future__ import annotations

from typing import Any

import pytest

from dezero_core.backend import backend_names


@pytest.fixture
def cupy_backend() -> Any:
    """The registered ``cupy`` backend instance (usable or not; probing it imports nothing else)."""
    if "cupy" not in backend_names():
        pytest.fail("dezero-cupy is not installed: pip install -e backends/cupy")
    from dezero_core.backend.selection import _instance

    return _instance("cupy")


@pytest.fixture
def gpu(cupy_backend: Any) -> Any:
    """The cupy backend when a CUDA device is usable; otherwise the test is skipped, saying why."""
    if not cupy_backend.is_available():
        pytest.skip(f"no CUDA device: {cupy_backend.unavailable_reason}")
    return cupy_backend


@pytest.fixture
def no_gpu(cupy_backend: Any) -> Any:
    """The cupy backend when it is unusable (the CPU-only behaviour); skipped where a GPU works."""
    if cupy_backend.is_available():
        pytest.skip("a CUDA device is usable here: the CPU-only fallback cannot be observed")
    return cupy_backend
