"""``BatchShareLoader``: each process's share of the batches one process would train on."""
from __future__ import annotations

from typing import Any


class BatchShareLoader:
    """This process's share of every batch of ``loader``.

    ``loader`` iterates over the whole dataset with the same seed on every process, so every process
    draws the same global batches; process ``r`` of ``N`` keeps rows ``[n*r//N, n*(r+1)//N)`` of each.
    With gradients averaged by :func:`~dezero_mpi.create_multi_node_optimizer`, N processes then
    train the model one process would train with the same seed and batch size (to rounding),
    whatever N is: a run can be checked against, or resumed from, a single-process one. Use
    :func:`~dezero_mpi.scatter_dataset` instead when a process cannot hold the whole dataset.

    A last batch of fewer than N samples is dropped (a process would get none); one whose size N
    does not divide gives some processes one sample more, which weighs their samples slightly less
    in that step's averaged gradient. Every other attribute (``state_dict``, ``to``, ``dataset``...)
    is ``loader``'s, so the Trainer checkpoints and moves it as it does a DataLoader.
    """

    def __init__(self, loader: Any, communicator: Any) -> None:
        if loader.batch_size % communicator.size:
            raise ValueError(f"a global batch of {loader.batch_size} samples does not divide evenly over "
                             f"{communicator.size} processes: use a multiple of {communicator.size}")
        self.loader = loader
        self.rank, self.size = communicator.rank, communicator.size

    def __iter__(self) -> "BatchShareLoader":
        return self

    def __next__(self) -> tuple[Any, Any]:
        x, t = next(self.loader)
        n = x.shape[0]
        if n < self.size:  # only ever the last batch: end the epoch here on every process
            self.loader.reset()
            raise StopIteration
        lo, hi = n * self.rank // self.size, n * (self.rank + 1) // self.size
        return x[lo:hi], t[lo:hi]

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name: str) -> Any:
        if name == "loader":  # not set yet (an object being unpickled)
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __repr__(self) -> str:
        return f"BatchShareLoader(rank {self.rank} of {self.size}, {self.loader!r})"
