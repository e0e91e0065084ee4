"""What the Trainer needs from a communicator to train one model on several processes.

Data-parallel training runs one Trainer per process, each on its own part of the data; a plugin
(``dezero-mpi``) averages the gradients before every update, so every process holds the same model.
The Trainer itself then only has to agree with the other processes on three things, through the
small interface :class:`Communicator` (the core imports no MPI library; any object with these
members works):

- the epoch's metrics: each process sums loss and accuracy over its own samples; the sums and
  counts are added up across processes, so a record is the mean over every sample of the epoch;
- what only one process does: extensions marked ``main_process_only`` (progress, plots) run on the
  process of rank 0 only, and only rank 0 writes checkpoints;
- checkpoints: the model and optimizer are the same everywhere, but each process has its own data
  position, partial sums and random state. Rank 0 gathers those (:data:`RANK_LOCAL`) into its
  checkpoint; on resume, rank 0 reads the file, sends it to every process, and each process takes
  its own part back.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence, runtime_checkable

#: the parts of ``Trainer.state_dict()`` that differ between processes
RANK_LOCAL = ("sums", "loaders", "random")


@runtime_checkable
class Communicator(Protocol):
    """The members ``Trainer(communicator=...)`` calls. Every call is collective: every process
    calls it, in the same order."""

    rank: int  #: this process's number, 0 .. size - 1
    size: int  #: the number of processes

    def allreduce_sum(self, values: Sequence[float]) -> list[float]:
        """The elementwise sum of ``values`` over all processes, on every process."""

    def gather_object(self, obj: Any) -> list[Any] | None:
        """On rank 0, ``obj`` of every process in rank order; None on the others."""

    def bcast_object(self, obj: Any) -> Any:
        """Rank 0's ``obj``, on every process."""


def is_main_process(communicator: Communicator | None) -> bool:
    """Whether this process reports and writes files: a single process, or rank 0."""
    return communicator is None or communicator.rank == 0


def gather_rank_states(communicator: Communicator, state: dict[str, Any]) -> dict[str, Any] | None:
    """On rank 0: ``state`` with ``"ranks"``, every process's :data:`RANK_LOCAL` parts in rank order;
    None on the other ranks."""
    parts = communicator.gather_object({key: state[key] for key in RANK_LOCAL})
    return None if parts is None else {**state, "ranks": parts}


def load_on_rank0(communicator: Communicator, load: Callable[[], dict[str, Any]],
                  error: type[Exception]) -> dict[str, Any]:
    """``load()`` on rank 0, sent to every process, with this process's :data:`RANK_LOCAL` parts.

    A failure on rank 0 is raised as ``error`` on every process (never a process left waiting). A
    checkpoint without ``"ranks"`` (written by a single process) is restored as it is everywhere; one
    written by another number of processes is an error, since their data positions do not map.
    """
    loaded: Any = None
    if communicator.rank == 0:
        try:
            loaded = ("state", load())
        except Exception as exc:  # sent as text: every process raises it, none waits for the state
            loaded = ("error", str(exc))
    kind, state = communicator.bcast_object(loaded)
    if kind == "error":
        raise error(state)
    ranks = state.get("ranks")
    if ranks is None:
        return state
    if len(ranks) != communicator.size:
        raise error(f"the checkpoint was written by {len(ranks)} processes but {communicator.size} are "
                    f"resuming it: each process's data position and random state are saved per rank; "
                    f"resume with {len(ranks)} processes (mpiexec -n {len(ranks)})")
    return {**state, **ranks[communicator.rank]}


__all__ = ["Communicator", "RANK_LOCAL", "gather_rank_states", "is_main_process", "load_on_rank0"]
