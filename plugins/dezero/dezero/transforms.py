"""The book's ``dezero.transforms``: dezero_core's transforms.

``Compose``, ``Normalize``, ``Flatten``, ``AsType``, ``ToFloat`` and ``ToInt`` work on whole batches
as well as single samples; the Pillow image transforms (``Convert``, ``Resize``, ``CenterCrop``,
``ToArray``, ``ToPIL``) are imported on first access and need Pillow (``pip install pillow``).
"""
from __future__ import annotations

from typing import Any

from dezero_core.data import transforms as _transforms
from dezero_core.data.transforms import IMAGE_TRANSFORMS, AsType, Compose, Flatten, Normalize, ToFloat, ToInt

__all__ = ["AsType", "Compose", "Flatten", "Normalize", "ToFloat", "ToInt", *IMAGE_TRANSFORMS]


def __getattr__(name: str) -> Any:
    if name in IMAGE_TRANSFORMS:
        return getattr(_transforms, name)
    raise AttributeError(f"module 'dezero.transforms' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(IMAGE_TRANSFORMS))
