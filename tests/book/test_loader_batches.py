"""The book's DataLoader over samples it reads one at a time (a list of pairs, a dataset with its own
``__getitem__``) gives the batches the book's ``np.array([...])`` of each part gives: same values,
dtypes and shapes, whatever the samples hold."""
from __future__ import annotations

import numpy as np
import pytest

from dezero import DataLoader

SAMPLES = {
    "float32 vectors, int labels": [(np.full(3, i, np.float32), i) for i in range(5)],
    "float64 images, numpy int64 labels": [(np.full((2, 2), i, np.float64), np.int64(i)) for i in range(5)],
    "Python floats": [(float(i), i * 0.5) for i in range(5)],
    "lists of ints": [([i, i + 1], i) for i in range(5)],
    "numpy scalars": [(np.float32(i), np.int8(i)) for i in range(5)],
    "bool labels": [(np.ones(2), bool(i % 2)) for i in range(5)],
}


@pytest.mark.parametrize("name", SAMPLES)
def test_batches_equal_the_books_np_array_of_each_part(name: str) -> None:
    samples = SAMPLES[name]
    x, t = next(DataLoader(samples, batch_size=3, shuffle=False))
    for got, want in ((x, np.array([s[0] for s in samples[:3]])), (t, np.array([s[1] for s in samples[:3]]))):
        assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_a_sample_that_is_not_a_pair_is_refused_naming_it() -> None:
    with pytest.raises(TypeError, match=r"sample 1 of list is int 7"):
        next(DataLoader([(np.ones(2), 0), 7], batch_size=2, shuffle=False))
