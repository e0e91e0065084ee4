"""The UCI handwritten digits, 8×8 pixels, shipped inside this distribution: no download ever.

Source and licence (CC BY 4.0, attribution required): ``dezero_datasets/data/SOURCE.md``.
"""
from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

from dezero_core.data import Dataset
from dezero_core.data.transforms import Compose, Flatten, Normalize, ToFloat, Transform

FILE = "digits.csv.gz"
FLAT_01 = Compose([Flatten(), ToFloat(), Normalize(0.0, 16.0)])
TEST_EVERY = 5  # every fifth image is a test image: 1,438 for training, 359 for test


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images ``(N, 1, 8, 8)`` uint8 (values 0..16) and their int64 labels."""
    with resources.files("dezero_datasets").joinpath("data", FILE).open("rb") as raw, \
            gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    return table[:, :64].astype(np.uint8).reshape(-1, 1, 8, 8), table[:, 64]


class Digits(Dataset):
    """UCI "Optical Recognition of Handwritten Digits" (Alpaydin and Kaynak, 1998), 1,797 images.

    A fixed split: every fifth image (index 4, 9, ...) is in the test set (359 images), the others in
    the training set (1,438). The default transform flattens each image to 64 float32 values in
    [0, 1]. The embedded default dataset of ``dezero train``.
    """

    classes = tuple(str(i) for i in range(10))

    def __init__(self, train: bool = True, transform: Transform | None = FLAT_01,
                 target_transform: Transform | None = None) -> None:
        self.train = train
        images, labels = load_digits()
        keep = (np.arange(len(labels)) % TEST_EVERY != TEST_EVERY - 1) == train
        super().__init__(images[keep], labels[keep], transform=transform, target_transform=target_transform)
