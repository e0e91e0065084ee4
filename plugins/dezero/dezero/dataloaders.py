"""The book's ``dezero.dataloaders``: ``DataLoader`` and ``SeqDataLoader``, dezero_core's with the
book's ``gpu`` argument, shuffle and batch counts.

A loader is its own iterator, as in the book (``for x, t in loader``; ``loader.next()``; it resets
when an epoch ends). A dezero ``Dataset`` that keeps its samples in ``data`` and ``label`` is indexed
a whole batch at a time; anything else with ``len`` and ``[i]`` giving ``(x, t)`` (a list of pairs,
a dataset with its own ``__getitem__``) is gathered sample by sample into ``np.array`` batches, as
the book does. The shuffle order is drawn with ``np.random.permutation``, as in the book, so
``np.random.seed(n)`` makes it repeatable (and resuming a loader from a checkpoint sets numpy's
global generator back to the start of its epoch).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero_core.backend.protocol import RandomGenerator
from dezero_core.data import DataLoader as _CoreDataLoader
from dezero_core.data import Dataset as _CoreDataset
from dezero_core.data import SeqDataLoader as _CoreSeqDataLoader
from dezero_core.data.collate import collate_pairs

__all__ = ["DataLoader", "SeqDataLoader"]


class NumpyGlobalGenerator(RandomGenerator):
    """numpy's global generator (``np.random``) as a dezero_core generator: what the book draws from."""

    def uniform(self, low: float, high: float, shape: Any, dtype: Any) -> np.ndarray:
        return np.random.uniform(low, high, shape).astype(dtype)

    def normal(self, mean: float, std: float, shape: Any, dtype: Any) -> np.ndarray:
        return np.random.normal(mean, std, shape).astype(dtype)

    def integers(self, low: int, high: int, shape: Any) -> np.ndarray:
        return np.random.randint(low, high, shape)

    def permutation(self, n: int) -> np.ndarray:
        return np.random.permutation(n)

    def get_state(self) -> Any:
        return np.random.get_state()

    def set_state(self, state: Any) -> None:
        np.random.set_state(state)


class _Gathered:
    """A dataset of ``(x, t)`` samples served a batch at a time, read sample by sample and collated
    as the book's ``np.array([...])`` of each part does (dezero_core's :func:`collate_pairs`)."""

    def __init__(self, samples: Any) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: Any) -> tuple[Any, Any]:
        return collate_pairs(self.samples, index)


def _batchable(dataset: Any) -> Any:
    # a Dataset subclass with its own __getitem__ (the book's BigData) takes one index at a time
    if isinstance(dataset, _CoreDataset) and type(dataset).__getitem__ is _CoreDataset.__getitem__:
        return dataset
    return _Gathered(dataset)


class _GpuFlag:
    """The book's ``gpu`` attribute: batches are delivered on the GPU (dezero_core's cupy backend)."""

    @property
    def gpu(self) -> bool:
        return self.backend is not None and self.backend.name == "cupy"  # type: ignore[attr-defined]


class DataLoader(_GpuFlag, _CoreDataLoader):
    """``DataLoader(dataset, batch_size, shuffle=True, gpu=False)``: ``ceil(len(dataset) / batch_size)``
    mini-batches ``(x, t)`` per epoch, in an order drawn by ``np.random.permutation`` when shuffling.

    ``gpu=True`` (or ``to_gpu()``) delivers the batches as cupy arrays.
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = True, gpu: bool = False) -> None:
        super().__init__(_batchable(dataset), batch_size, shuffle, backend="cupy" if gpu else None,
                         generator=NumpyGlobalGenerator())


class SeqDataLoader(_GpuFlag, _CoreSeqDataLoader):
    """``SeqDataLoader(dataset, batch_size, gpu=False)``: batches for truncated BPTT over one long
    sequence, as the book's: ``batch_size`` streams ``jump = len(dataset) // batch_size`` apart, and
    ``ceil(len(dataset) / batch_size)`` batches per epoch, batch ``i`` holding element
    ``(k * jump + i) % len(dataset)`` for stream ``k`` (the last batches wrap around to the start)."""

    def __init__(self, dataset: Any, batch_size: int, gpu: bool = False) -> None:
        super().__init__(_batchable(dataset), batch_size, backend="cupy" if gpu else None)

    @property
    def max_iter(self) -> int:
        """The number of batches per epoch: ``ceil(len(dataset) / batch_size)``, the book's."""
        return math.ceil(self.data_size / self.batch_size)

    def _batch_index(self, i: int) -> Any:
        jump = self.data_size // self.batch_size
        return (self._host.xp.arange(self.batch_size) * jump + i) % self.data_size
