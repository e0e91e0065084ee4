"""``Dataset``: samples and labels with optional transforms, indexable by int, slice or index array."""
from __future__ import annotations

import operator
from typing import Any

from dezero_core.data.arrays import length, row, take
from dezero_core.data.collate import as_sample_array, collate
from dezero_core.data.transforms import Transform, apply_to_batch, apply_to_sample


class Dataset:
    """Data and labels held in arrays (or lists), with transforms applied when samples are taken.

    ``dataset[i]`` gives one ``(x, t)`` pair; ``dataset[a:b]`` and ``dataset[index_array]`` give a
    whole batch, taken in one vectorised step (``xp.take``) and transformed at once when the
    transforms are batched (see :mod:`dezero_core.data.transforms`). ``t`` is None when there are no
    labels. Numbers and lists of numbers come out as arrays (list data too: ``Dataset([[0, 1], [2,
    3]], [0, 1])[0:2]`` is a ``(2, 2)`` array and a ``(2,)`` int array); other samples (file names
    for a transform to read) are passed to the transform as they are.

    Subclasses (the datasets of the ``dezero-datasets`` distribution) load their arrays and pass them
    to ``__init__``.
    """

    def __init__(self, data: Any, label: Any = None, *, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        if data is None:
            raise ValueError("Dataset needs data (an array or a list of samples), got None")
        if label is not None and length(label) != length(data):
            raise ValueError(f"data and labels differ in length: {length(data)} samples but "
                             f"{length(label)} labels; give one label per sample")
        self.data = data
        self.label = label
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return length(self.data)

    def __getitem__(self, index: Any) -> tuple[Any, Any]:
        if isinstance(index, slice):
            return self._batch(self.data[index], None if self.label is None else self.label[index])
        try:
            i = operator.index(index)
        except TypeError:  # an index array or a list of indices
            return self._batch(take(self.data, index), None if self.label is None else take(self.label, index))
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for a dataset of {n} samples")
        x = as_sample_array(apply_to_sample(self.transform, row(self.data, i)))
        t = None if self.label is None else as_sample_array(apply_to_sample(self.target_transform, row(self.label, i)))
        return x, t

    def _batch(self, x: Any, t: Any) -> tuple[Any, Any]:
        x = _as_batch(apply_to_batch(self.transform, x))
        return x, None if t is None else _as_batch(apply_to_batch(self.target_transform, t))

    def targets(self) -> Any:
        """Every label with ``target_transform`` applied (None without labels): for checks over the
        whole set, such as the Trainer's label-range check."""
        return None if self.label is None else apply_to_batch(self.target_transform, self.label)

    def __repr__(self) -> str:
        shape = getattr(self.data, "shape", None)
        return f"{type(self).__name__}(samples={len(self)}, data shape={shape})"


def _as_batch(batch: Any) -> Any:
    """A batch taken from list data (a list of samples) as one array; arrays as they are."""
    return collate(batch) if isinstance(batch, (list, tuple)) and len(batch) else batch
