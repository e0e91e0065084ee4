"""Per-sample transforms on Pillow images (importing this module needs Pillow: pip install pillow).

A typical chain turns a stored image into an array for a model::

    Compose([Convert("RGB"), Resize(224), CenterCrop(224), ToArray(), Normalize(...)])
"""
from __future__ import annotations

from typing import Any

try:
    from PIL import Image
except ImportError as exc:  # the only optional dependency of dezero_core.data
    raise ImportError("the image transforms need Pillow: pip install pillow") from exc

from dezero_core.backend.host_io import ArrayBytes
from dezero_core.backend.selection import backend_of, get_backend


def _size(size: int | tuple[int, int]) -> tuple[int, int]:
    """``(width, height)`` from an int (square) or a ``(width, height)`` pair."""
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


class Convert:
    """Convert a Pillow image to ``mode`` (``"RGB"``, ``"L"``...)."""

    batched = False

    def __init__(self, mode: str = "RGB") -> None:
        self.mode = mode

    def __call__(self, img: Any) -> Any:
        return img if img.mode == self.mode else img.convert(self.mode)


class Resize:
    """Resize a Pillow image to ``size`` (an int for a square, or ``(width, height)``)."""

    batched = False

    def __init__(self, size: int | tuple[int, int], resample: int = Image.BILINEAR) -> None:
        self.size = _size(size)
        self.resample = resample

    def __call__(self, img: Any) -> Any:
        return img.resize(self.size, self.resample)


class CenterCrop:
    """Cut the central ``size`` region (an int for a square, or ``(width, height)``) of a Pillow image."""

    batched = False

    def __init__(self, size: int | tuple[int, int]) -> None:
        self.size = _size(size)

    def __call__(self, img: Any) -> Any:
        w, h = img.size
        cw, ch = self.size
        if cw > w or ch > h:
            raise ValueError(f"CenterCrop{self.size} is larger than the image ({w}, {h}): resize first")
        left, top = (w - cw) // 2, (h - ch) // 2
        return img.crop((left, top, left + cw, top + ch))


class ToArray:
    """A Pillow image as a ``(C, H, W)`` array of ``dtype`` on ``backend`` (the current one by default)."""

    batched = False

    def __init__(self, dtype: str = "float32", backend: str | None = None) -> None:
        self.dtype = dtype
        self.backend = backend

    def __call__(self, img: Any) -> Any:
        b = get_backend(self.backend)
        xp = b.xp
        a = b.from_bytes(_pixels(img))
        if a.ndim == 2:  # grey image: one channel
            a = xp.expand_dims(a, axis=0)
        else:
            a = xp.permute_dims(a, (2, 0, 1))
        return xp.astype(a, getattr(xp, self.dtype))


class ToPIL:
    """A ``(C, H, W)`` array (values 0..255) as a Pillow image."""

    batched = False

    def __call__(self, array: Any) -> Any:
        host = backend_of(array).to_host(array)
        host = host.transpose(1, 2, 0)
        if host.shape[2] == 1:
            host = host[:, :, 0]
        return Image.fromarray(host.astype("uint8"))


#: Pillow's modes -> (dtype of a pixel's channels, channels); a mode not listed is converted to RGB
_MODES = {"1": ("bool", 1), "L": ("uint8", 1), "P": ("uint8", 1), "RGB": ("uint8", 3), "RGBA": ("uint8", 4),
          "CMYK": ("uint8", 4), "YCbCr": ("uint8", 3), "LAB": ("uint8", 3), "HSV": ("uint8", 3),
          "I": ("int32", 1), "F": ("float32", 1), "I;16": ("uint16", 1)}


def _pixels(img: Any) -> ArrayBytes:
    """``img``'s pixels as (H, W) or (H, W, C) :class:`ArrayBytes`, for any backend's ``from_bytes``."""
    if img.mode not in _MODES:
        img = img.convert("RGB")
    dtype, channels = _MODES[img.mode]
    w, h = img.size
    shape = (h, w) if channels == 1 else (h, w, channels)
    if img.mode == "1":  # bits: as bytes 0/255, then booleans (one byte each, 0 or 1)
        raw = img.convert("L").tobytes().replace(b"\xff", b"\x01")
    else:  # Pillow's "raw" encoding of its own mode: the pixels as they are in memory (little-endian)
        raw = img.tobytes()
    return ArrayBytes(dtype, shape, raw)
