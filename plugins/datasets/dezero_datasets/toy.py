"""Small synthetic datasets of the book: the three-arm spiral and the noisy sine curve."""
from __future__ import annotations

import numpy as np

from dezero_core.data import Dataset
from dezero_core.data.transforms import Transform


def spiral(train: bool = True, num_data: int = 100, num_class: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The book's ``get_spiral``: points ``(300, 2)`` float32 on three arms, labels int64, shuffled.

    Seeded as in the book (1984 for training, 2020 for test) with numpy's legacy generator, so the
    points are the book's, number for number.
    """
    rng = np.random.RandomState(1984 if train else 2020)
    rate = np.tile(np.arange(num_data) / num_data, num_class)
    arm = np.repeat(np.arange(num_class), num_data)
    theta = arm * 4.0 + 4.0 * rate + rng.randn(num_class * num_data) * 0.2
    x = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=1).astype(np.float32)
    order = rng.permutation(num_class * num_data)
    return x[order], arm.astype(np.int64)[order]


class Spiral(Dataset):
    """Three interleaved spiral arms in 2-D, 100 points each: the book's first classification task."""

    classes = ("0", "1", "2")

    def __init__(self, train: bool = True, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        self.train = train
        x, t = spiral(train)
        super().__init__(x, t, transform=transform, target_transform=target_transform)


class SinCurve(Dataset):
    """Predict the next value of a sampled curve: ``x[i] = y(i)``, ``t[i] = y(i + 1)``, shapes ``(999, 1)``.

    Training uses a sine with uniform noise in ±0.05 (seeded by ``seed``); test uses a clean cosine.
    """

    def __init__(self, train: bool = True, transform: Transform | None = None,
                 target_transform: Transform | None = None, num_data: int = 1000,
                 dtype: str = "float32", seed: int = 0) -> None:
        self.train = train
        x = np.linspace(0, 2 * np.pi, num_data)
        if train:
            y = np.sin(x) + np.random.default_rng(seed).uniform(-0.05, 0.05, size=x.shape)
        else:
            y = np.cos(x)
        y = y.astype(dtype)
        super().__init__(y[:-1, None], y[1:, None], transform=transform, target_transform=target_transform)
