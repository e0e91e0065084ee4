"""The book's ``dezero.dataloaders``: ``DataLoader`` and ``SeqDataLoader``, dezero_core's with the
book's ``gpu`` argument.

A loader is its own iterator, as in the book (``for x, t in loader``; ``loader.next()``; it resets
when an epoch ends). Any dataset works: a dezero ``Dataset`` is indexed a whole batch at a time;
anything else with ``len`` and ``[i]`` giving ``(x, t)`` (a list of pairs) is gathered sample by
sample into ``np.array`` batches, as the book does. The shuffle order comes from dezero_core's
generators (``dezero_core.random.seed(n)`` makes it repeatable), not numpy's global one.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero_core.data import DataLoader as _CoreDataLoader
from dezero_core.data import Dataset as _CoreDataset
from dezero_core.data import SeqDataLoader as _CoreSeqDataLoader

__all__ = ["DataLoader", "SeqDataLoader"]


class _Gathered:
    """A dataset of ``(x, t)`` samples served a batch at a time: ``np.array`` of each sample's parts."""

    def __init__(self, samples: Any) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: Any) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(index, slice):
            index = range(*index.indices(len(self)))
        batch = [self.samples[int(i)] for i in index]
        return np.array([sample[0] for sample in batch]), np.array([sample[1] for sample in batch])


def _batchable(dataset: Any) -> Any:
    return dataset if isinstance(dataset, _CoreDataset) else _Gathered(dataset)


class _GpuFlag:
    """The book's ``gpu`` attribute: batches are delivered on the GPU (dezero_core's cupy backend)."""

    @property
    def gpu(self) -> bool:
        return self.backend is not None and self.backend.name == "cupy"  # type: ignore[attr-defined]


class DataLoader(_GpuFlag, _CoreDataLoader):
    """``DataLoader(dataset, batch_size, shuffle=True, gpu=False)``: mini-batches ``(x, t)``.

    ``gpu=True`` (or ``to_gpu()``) delivers the batches as cupy arrays.
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = True, gpu: bool = False) -> None:
        super().__init__(_batchable(dataset), batch_size, shuffle, backend="cupy" if gpu else None)


class SeqDataLoader(_GpuFlag, _CoreSeqDataLoader):
    """``SeqDataLoader(dataset, batch_size, gpu=False)``: batches for truncated BPTT over one long
    sequence; batch ``i`` holds element ``i`` of ``batch_size`` equally spaced streams."""

    def __init__(self, dataset: Any, batch_size: int, gpu: bool = False) -> None:
        super().__init__(_batchable(dataset), batch_size, backend="cupy" if gpu else None)
