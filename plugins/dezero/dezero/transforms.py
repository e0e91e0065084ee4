"""The book's ``dezero.transforms``: dezero_core's transforms.

``Compose``, ``Normalize``, ``Flatten``, ``AsType``, ``ToFloat`` and ``ToInt`` work on whole batches
as well as single samples; the Pillow image transforms (``Convert``, ``Resize``, ``CenterCrop``,
``ToArray``, ``ToPIL``) are imported on first access and need Pillow (``pip install pillow``).
``RandomHorizontalFlip``, a placeholder in the book, flips an image with probability ``p``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero_core.data import transforms as _transforms
from dezero_core.data.transforms import IMAGE_TRANSFORMS, AsType, Compose, Flatten, Normalize, ToFloat, ToInt

__all__ = ["AsType", "Compose", "Flatten", "Normalize", "RandomHorizontalFlip", "ToFloat", "ToInt", *IMAGE_TRANSFORMS]


class RandomHorizontalFlip:
    """Mirror an image left to right with probability ``p`` (drawn with ``np.random.rand``): a PIL
    image, or an array whose last axis is the width (``(C, H, W)``)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if np.random.rand() >= self.p:
            return img
        if hasattr(img, "transpose") and hasattr(img, "mode"):  # a PIL image
            return img.transpose(0)  # Image.FLIP_LEFT_RIGHT (0), without importing Pillow here
        return img[..., ::-1]


def __getattr__(name: str) -> Any:
    if name in IMAGE_TRANSFORMS:
        return getattr(_transforms, name)
    raise AttributeError(f"module 'dezero.transforms' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(IMAGE_TRANSFORMS))
