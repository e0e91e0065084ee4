"""The numpy backend's host I/O: arrays from a file's bytes without going through Python objects."""
from __future__ import annotations

from typing import Any

from dezero_core.backend.host_io import ArrayBytes, check_size


def from_bytes(np: Any, item: ArrayBytes) -> Any:
    """A new, writable numpy array from ``item`` (little-endian bytes; any machine's byte order)."""
    check_size(item.dtype, item.shape, len(item.data))
    stored = np.dtype(item.dtype).newbyteorder("<")
    return np.frombuffer(item.data, dtype=stored).reshape(item.shape).astype(stored.newbyteorder("="))
