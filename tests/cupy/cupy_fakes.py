"""Stand-ins for pieces of cupy, for tests of dezero-cupy's own logic without a GPU (or cupy)."""
from __future__ import annotations

from typing import Any


class FakeDevice:
    """A device whose ``with`` block makes it current, as ``cupy.cuda.Device`` does."""

    current = 0

    def __init__(self, id: int) -> None:
        self.id = id

    def __enter__(self) -> "FakeDevice":
        self.previous, FakeDevice.current = FakeDevice.current, self.id
        return self

    def __exit__(self, *exc: Any) -> None:
        FakeDevice.current = self.previous
