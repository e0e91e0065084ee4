"""``DataLoader`` (mini-batches, optionally shuffled) and ``SeqDataLoader`` (truncated BPTT streams).

A loader is its own iterator, as in the book: ``for x, t in loader`` runs one epoch, and the loader
resets itself (reshuffling) when the epoch ends, ready for the next. Its position and its generator's
state are in :meth:`DataLoader.state_dict`, so a checkpoint can resume it in the middle of an epoch.
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.protocol import ArrayBackend, RandomGenerator
from dezero_core.backend.selection import backend_of, get_backend
from dezero_core.data.arrays import is_array
from dezero_core.data.collate import fetch_batch
from dezero_core.graph.transfer import move_array


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` ``(x, t)`` arrays.

    ``dataset`` is a :class:`~dezero_core.data.Dataset` (or an object answering ``dataset[index_array]``
    with an ``(x, t)`` batch, as it does), or a list of ``(x, t)`` pairs, whose samples are collated
    as the book's loader and PyTorch's ``default_collate`` do (:mod:`dezero_core.data.collate`).

    ``shuffle`` draws a new order every epoch from the loader's own generator: ``generator`` if
    given, else one seeded with ``seed``, else one seeded from ``dezero_core.random`` (so
    ``dezero_core.random.seed(n)`` makes the order repeatable). ``drop_last`` skips a final short
    batch. Batches are delivered on ``backend`` (or the one given to :meth:`to`) when there is one,
    else on the selected backend (``get_backend()`` at each batch), as new arrays are: with
    ``DEZERO_BACKEND=cupy`` a numpy dataset trains on the GPU. The data itself stays where it is.
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = True, drop_last: bool = False, *,
                 seed: int | None = None, generator: RandomGenerator | None = None,
                 backend: str | ArrayBackend | None = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if len(dataset) == 0:
            raise ValueError(f"the dataset is empty ({dataset!r}): there is nothing to load; check "
                             f"the data files or the filter that built it")
        if drop_last and len(dataset) < batch_size:
            raise ValueError(f"drop_last=True with batch_size={batch_size} but only {len(dataset)} "
                             f"samples: every batch would be dropped; lower batch_size")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.data_size = len(dataset)
        self.backend: ArrayBackend | None = None if backend is None else get_backend(backend)
        self._host = _data_backend(dataset)
        self.generator = generator if generator is not None else self._host.random_generator(
            seed if seed is not None else _derived_seed(self._host))
        self._epoch_state: Any = None
        self.reset()

    # -- epochs -----------------------------------------------------------------------------
    @property
    def max_iter(self) -> int:
        """The number of batches per epoch (the book's name for ``len(loader)``)."""
        if self.drop_last:
            return self.data_size // self.batch_size
        return math.ceil(self.data_size / self.batch_size)

    def __len__(self) -> int:
        return self.max_iter

    def reset(self) -> None:
        """Start a new epoch: position 0 and, when shuffling, a fresh order."""
        self.iteration = 0
        if self.shuffle:
            self._epoch_state = self.generator.get_state()  # what a checkpoint needs to redraw it
            self.index = self.generator.permutation(self.data_size)
        else:
            self.index = None

    def __iter__(self) -> "DataLoader":
        return self

    def __next__(self) -> tuple[Any, Any]:
        if self.iteration >= self.max_iter:
            self.reset()
            raise StopIteration
        x, t = fetch_batch(self.dataset, self._batch_index(self.iteration))
        self.iteration += 1
        target = self.backend or get_backend()
        return self._move(x, target), self._move(t, target)

    def next(self) -> tuple[Any, Any]:
        """The next batch (the book's spelling of ``next(loader)``)."""
        return self.__next__()

    def _batch_index(self, i: int) -> Any:
        start = i * self.batch_size
        stop = min(start + self.batch_size, self.data_size)
        if self.index is None:
            return slice(start, stop)
        return self.index[start:stop]

    # -- backends ---------------------------------------------------------------------------
    def to(self, backend: str | ArrayBackend) -> "DataLoader":
        """Deliver batches on ``backend`` (a name such as ``"cupy"`` or a backend); returns self."""
        self.backend = get_backend(backend)
        return self

    def to_cpu(self) -> "DataLoader":
        """Deliver batches on the numpy backend."""
        return self.to("numpy")

    def to_gpu(self) -> "DataLoader":
        """Deliver batches on the cupy backend."""
        return self.to("cupy")

    @staticmethod
    def _move(a: Any, target: ArrayBackend) -> Any:
        if a is None or not is_array(a) or backend_of(a) is target:
            return a
        return move_array(a, target.name)

    # -- checkpoints ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The position in the epoch and the generator's state that drew this epoch's order."""
        return {"iteration": self.iteration,
                "generator": self._epoch_state if self.shuffle else self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue where :meth:`state_dict` was taken: same order, same position."""
        self.generator.set_state(state["generator"])
        self.reset()
        self.iteration = int(state["iteration"])

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(samples={self.data_size}, batch_size={self.batch_size}, "
                f"batches={len(self)}, shuffle={self.shuffle})")


class SeqDataLoader(DataLoader):
    """Batches for truncated backpropagation through time over one long sequence.

    The sequence is cut into ``batch_size`` equal streams; batch ``i`` holds element ``i`` of every
    stream, so consecutive batches continue each stream where the previous one stopped. An epoch is
    ``len(dataset) // batch_size`` steps; the order is never shuffled.
    """

    def __init__(self, dataset: Any, batch_size: int, *, backend: str | ArrayBackend | None = None) -> None:
        super().__init__(dataset, batch_size, shuffle=False, drop_last=True, backend=backend)

    @property
    def max_iter(self) -> int:
        """One step per position of a stream."""
        return self.data_size // self.batch_size

    def _batch_index(self, i: int) -> Any:
        xp = self._host.xp
        return xp.arange(self.batch_size) * self.max_iter + i


def _data_backend(dataset: Any) -> ArrayBackend:
    """The backend holding the dataset's arrays (the current backend for list data)."""
    data = getattr(dataset, "data", None)
    if is_array(data):
        try:
            return backend_of(data)
        except TypeError:
            pass
    return get_backend()


def _derived_seed(backend: ArrayBackend) -> int:
    """A seed drawn from the default generator, so ``dezero_core.random.seed`` governs the order."""
    from dezero_core import random

    return int(random.get_generator(backend).integers(0, 2**31 - 1, ()))
