"""``scatter_dataset``: each process's part of a dataset."""
from __future__ import annotations

import math
import operator
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.data.arrays import is_array


class SubDataset:
    """The samples of ``dataset`` at ``indices`` (a host integer array), indexable like a Dataset:
    by int, slice or index array (of any backend), with ``targets()`` when the dataset has it."""

    def __init__(self, dataset: Any, indices: Any) -> None:
        self.dataset = dataset
        self.indices = indices
        classes = getattr(dataset, "classes", None)
        if classes is not None:
            self.classes = classes

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if is_array(index):
            index = backend_of(index).to_host(index)
        elif not isinstance(index, slice):
            try:
                index = operator.index(index)
            except TypeError:  # a list of positions
                pass
            else:
                if not -len(self) <= index < len(self):
                    raise IndexError(f"index {index} is out of range for a part of {len(self)} samples")
                return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[index]]

    def targets(self) -> Any:
        """The labels of this part (for the Trainer's label check), or None."""
        labels = self.dataset.targets() if hasattr(self.dataset, "targets") else None
        if labels is None:
            return None
        return backend_of(labels).xp.take(labels, backend_of(labels).from_host(self.indices), axis=0)

    def __repr__(self) -> str:
        return f"SubDataset({len(self)} of {len(self.dataset)} samples of {self.dataset!r})"


def scatter_dataset(dataset: Any, communicator: Any, shuffle: bool = True, seed: int | None = None,
                    force_equal_length: bool = True) -> SubDataset:
    """This process's part of ``dataset``: the processes' parts are disjoint and cover it.

    ``shuffle`` deals the samples out in a random order (drawn on rank 0 from ``seed`` and sent to
    all; ``seed=None`` draws a new order each run) instead of in contiguous blocks. With
    ``force_equal_length`` (the default, needed for training) every part has ``ceil(N / size)``
    samples: the last parts repeat a few samples from the start of the order, so that every process
    runs the same number of steps per epoch (a process with one step fewer would leave the others
    waiting in the gradients' allreduce). For evaluation pass ``force_equal_length=False``: parts
    then differ by at most one sample and no sample counts twice in the averaged metrics.
    """
    import numpy

    n, size = len(dataset), communicator.size
    if n < size:
        raise ValueError(f"cannot scatter {n} samples over {size} processes: every process needs at least "
                         f"one; use fewer processes or a larger dataset")
    order = None
    if communicator.rank == 0:
        order = numpy.random.default_rng(seed).permutation(n) if shuffle else numpy.arange(n)
    order = communicator.bcast_object(order)
    if force_equal_length:
        part = math.ceil(n / size)
        indices = order[numpy.arange(communicator.rank * part, (communicator.rank + 1) * part) % n]
    else:
        indices = numpy.array_split(order, size)[communicator.rank]
    return SubDataset(dataset, indices)
