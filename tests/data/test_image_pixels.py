"""Pillow images become arrays through the backend protocol's from_bytes (no numpy in the core)."""
from __future__ import annotations

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")

from dezero_core.backend.selection import get_backend  # noqa: E402
from dezero_core.data.image import ToArray, _pixels  # noqa: E402

PIXELS = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "CMYK", "I", "F", "I;16"])
def test_pixels_of_every_mode_equal_pillows_own_array(mode):
    img = Image.fromarray(PIXELS).convert(mode) if mode != "I;16" else Image.fromarray(PIXELS[..., 0]).convert(mode)
    got = get_backend("numpy").from_bytes(_pixels(img))
    expected = np.asarray(img)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_to_array_gives_channels_first_on_a_backend_other_than_numpy():
    pytest.importorskip("array_api_strict")
    got = ToArray("float32", backend="strict")(Image.fromarray(PIXELS))
    assert type(got).__module__.startswith("array_api_strict")
    np.testing.assert_array_equal(np.asarray(got._array), PIXELS.transpose(2, 0, 1).astype(np.float32))
