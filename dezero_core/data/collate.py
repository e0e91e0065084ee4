"""Samples into batches, as the book's ``DataLoader`` and PyTorch's ``default_collate`` do.

A :class:`~dezero_core.data.Dataset` (or any dataset object) takes a whole batch at once
(``dataset[index_array]``); a plain list or tuple of ``(x, t)`` pairs is read one sample at a time
and the samples are collated: arrays stacked along a new first axis, Python numbers and
(nested) lists of numbers into one array of the current backend (``int`` to int64, ``float`` to
float64, as ``default_collate`` does), pairs into a pair of batches.
"""
from __future__ import annotations

from numbers import Number
from typing import Any, Sequence

from dezero_core.backend.selection import get_backend
from dezero_core.data.arrays import is_array, length, stack


def is_numeric(value: Any) -> bool:
    """Whether ``value`` is a Python number or a (nested) list or tuple of them."""
    if isinstance(value, Number):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(is_numeric(v) for v in value)


def as_sample_array(value: Any) -> Any:
    """A numeric sample (a number, a list of numbers) as an array of the current backend; arrays and
    anything else (a string, an image object for a transform to read) as they are."""
    return get_backend().asarray(value) if not is_array(value) and is_numeric(value) else value


def collate(samples: Sequence[Any]) -> Any:
    """One batch from a sequence of samples: ``(x, t)`` pairs give ``(batch of x, batch of t)``."""
    if not samples:
        raise ValueError("cannot collate an empty list of samples")
    first = samples[0]
    nones = sum(s is None for s in samples)
    if nones == len(samples):  # unlabelled samples: (x, None) pairs give (batch of x, None)
        return None
    if nones:  # (dropping the labels, or an object array of them, would be silently wrong)
        raise ValueError(f"{nones} of the {len(samples)} samples of this batch hold None where the others hold "
                         f"a value (a missing label?); give every sample a label, or none of them")
    if isinstance(first, tuple):
        widths = {len(s) if isinstance(s, tuple) else None for s in samples}
        if widths != {len(first)}:
            raise ValueError(f"samples differ in structure: the first is a tuple of {len(first)}, but the "
                             f"batch also holds {sorted(map(str, widths - {len(first)}))}; every sample "
                             f"must be an (x, t) pair")
        return tuple(collate([s[k] for s in samples]) for k in range(len(first)))
    if not (is_array(first) or is_numeric(first)):
        raise TypeError(f"cannot batch samples of type {type(first).__name__} ({first!r:.60}): a sample "
                        f"must be an array, a number or a list of numbers; convert it with a transform")
    return stack([as_sample_array(s) for s in samples])


def positions(index: Any) -> list[int]:
    """The integer positions a batch index names: a slice, an index array or a list of ints."""
    if isinstance(index, slice):
        return list(range(index.start or 0, index.stop, index.step or 1))
    return [int(index[k]) for k in range(length(index))]


def fetch_batch(dataset: Any, index: Any) -> tuple[Any, Any]:
    """The ``(x, t)`` batch at ``index``.

    A list or tuple of samples is read one sample at a time (each must be an ``(x, t)`` pair) and
    collated; any other dataset answers the batch index itself, in one access, as ``Dataset`` does
    (``dataset[slice]`` or ``dataset[index_array]`` gives the ``(x, t)`` batch).
    """
    if not isinstance(dataset, (list, tuple)):
        return dataset[index]
    return collate_pairs(dataset, index)


def collate_pairs(samples: Any, index: Any) -> tuple[Any, Any]:
    """The ``(x, t)`` batch of the samples at ``index`` (see :func:`positions`) of ``samples``, an
    object with ``len`` and ``[i]`` giving one ``(x, t)`` pair: read one sample at a time, collated."""
    batch = collate([_pair(samples, i) for i in positions(index)])
    return batch[0], batch[1]


def _pair(dataset: Any, i: int) -> tuple[Any, Any]:
    sample = dataset[i]
    if not (isinstance(sample, (tuple, list)) and len(sample) == 2):
        raise TypeError(f"DataLoader needs (x, t) samples, but sample {i} of {type(dataset).__name__} is "
                        f"{type(sample).__name__} {sample!r:.60}; wrap unlabelled data in "
                        f"dezero_core.data.Dataset(data), which gives (x, None)")
    return tuple(sample)
