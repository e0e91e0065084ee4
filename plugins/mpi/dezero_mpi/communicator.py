"""``create_communicator``: this process's place among the MPI processes, and the collectives the
rest of the plugin and the Trainer use (it implements :class:`dezero_core.training.distributed.Communicator`).
"""
from __future__ import annotations

import contextlib
import os
import sys
import traceback
import weakref
from typing import Any, Iterator, Mapping, Sequence

from dezero_mpi.buckets import Bucket, layout_key, make_buckets
from dezero_mpi.transports import TRANSPORT_ENV, select_transport


class ParameterMismatchError(ValueError):
    """The processes hold models whose parameter names, shapes or dtypes differ."""


class MPICommunicator:
    """The processes of an MPI communicator (``COMM_WORLD`` by default), as ChainerMN's communicator.

    ``rank``/``size``: this process's number and the number of processes; ``intra_rank``/``intra_size``:
    the same among the processes of this machine (pick a GPU with ``intra_rank``). Every method is
    collective: every process calls it, in the same order.
    """

    def __init__(self, mpi_comm: Any = None, transport: str | None = None) -> None:
        from mpi4py import MPI

        self.mpi_comm = MPI.COMM_WORLD if mpi_comm is None else mpi_comm
        self.rank: int = self.mpi_comm.rank
        self.size: int = self.mpi_comm.size
        node = self.mpi_comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.intra_rank: int = node.rank
        self.intra_size: int = node.size
        node.Free()
        self.transport = transport
        # layout_key of each model at its last bcast_data: the multi-node optimizer checks it
        self._broadcast: "weakref.WeakKeyDictionary[Any, tuple[Any, ...]]" = weakref.WeakKeyDictionary()

    # -- models ---------------------------------------------------------------------------------
    def bcast_data(self, model: Any) -> None:
        """Give every process rank 0's parameter values, in place.

        The processes first compare their parameter names, shapes and dtypes; any difference raises
        :class:`ParameterMismatchError` on every process, naming the ranks and parameters (never a
        hang, never parameters silently copied into the wrong places). Parameters a lazy layer has not
        created yet are not part of the model yet: run one forward pass first.
        """
        named = list(model.named_params())
        mine = [(name, shape, str(dtype)) for name, _, shape, dtype in layout_key(named)]
        self._check_same(mine)
        for bucket in make_buckets(named):
            transport = select_transport(bucket.buffer, self.mpi_comm, _for_bcast(self.transport))
            received = transport.bcast(bucket.pack_data(), bucket.backend, root=0)
            if self.rank != 0:
                bucket.unpack_data(received)
        self._broadcast[model] = layout_key(named)

    def is_broadcast(self, model: Any, key: tuple[Any, ...]) -> bool:
        """Whether :meth:`bcast_data` ran on ``model`` when its parameters had layout ``key``."""
        return self._broadcast.get(model) == key

    def allreduce_buckets(self, buckets: Sequence[Bucket]) -> None:
        """Average the gradients of ``buckets`` over all processes (one collective per bucket)."""
        if self.size == 1:  # the average over one process is its own gradient: nothing to pack or send
            return
        for bucket in buckets:
            if bucket.transport is None:  # may move the bucket's buffer into shared memory: before packing
                bucket.transport = select_transport(bucket.buffer, self.mpi_comm, self.transport, bucket,
                                                    one_machine=self.intra_size == self.size)
            bucket.unpack_grads(bucket.transport.average_grads(bucket, 1.0 / self.size))

    def _check_same(self, mine: list[tuple[str, tuple[int, ...], str]]) -> None:
        every = self.mpi_comm.allgather(mine)
        problems = [f"rank {r}: {_difference(every[0], theirs)}" for r, theirs in enumerate(every) if theirs != every[0]]
        if problems:
            raise ParameterMismatchError(
                f"the processes hold different models, so rank 0's parameters cannot be broadcast "
                f"(compared with rank 0) {'; '.join(problems)}. Build the same model on every process "
                f"(same layer sizes and dtype) and run one forward pass on each before bcast_data when "
                f"layers create their parameters lazily")

    # -- values (the Trainer's interface) ----------------------------------------------------------
    def allreduce_sum(self, values: Sequence[float]) -> list[float]:
        """The elementwise sum of ``values`` over all processes, as Python floats."""
        import numpy
        from mpi4py import MPI

        buffer = numpy.array(values, dtype=numpy.float64)
        self.mpi_comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        return buffer.tolist()

    def mean(self, metrics: Mapping[str, float], weight: float = 1.0) -> dict[str, float]:
        """``metrics`` averaged over all processes, each weighted by its ``weight`` (its number of
        samples, so that the mean is over every sample). Every process passes the same names."""
        names = sorted(metrics)
        totals = self.allreduce_sum([float(metrics[n]) * weight for n in names] + [float(weight)])
        return {name: total / totals[-1] for name, total in zip(names, totals)}

    def gather_object(self, obj: Any) -> list[Any] | None:
        """On rank 0, every process's ``obj`` in rank order; None on the others."""
        return self.mpi_comm.gather(obj, root=0)

    def bcast_object(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every process (pickled)."""
        return self.mpi_comm.bcast(obj, root=0)

    def barrier(self) -> None:
        """Wait until every process has called it."""
        self.mpi_comm.Barrier()

    # -- failures -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def abort_on_error(self, code: int = 1) -> Iterator[None]:
        """End the whole job when the block raises on this process: print the traceback (marked with
        this rank) and call ``MPI_Abort`` with ``code``. Without it, the other processes would wait
        forever in their next collective for one that will never come (``python -m mpi4py
        script.py`` does the same for a whole script). ``sys.exit(n)`` with n != 0 aborts with n,
        without a traceback: the program has said why."""
        try:
            yield
        except SystemExit as exc:
            if exc.code in (None, 0):
                raise
            sys.stderr.flush()
            self.mpi_comm.Abort(exc.code if isinstance(exc.code, int) else code)
        except BaseException as exc:  # KeyboardInterrupt too: the others would wait for this process
            text = "".join(traceback.format_exception(exc))
            sys.stderr.write(f"[rank {self.rank} of {self.size}] aborting the job:\n{text}")
            sys.stderr.flush()
            self.mpi_comm.Abort(code)

    def __repr__(self) -> str:
        return (f"MPICommunicator(rank={self.rank}, size={self.size}, intra_rank={self.intra_rank}, "
                f"intra_size={self.intra_size})")


def _for_bcast(transport: str | None) -> str | None:
    """The transport for a broadcast: shared memory averages only, so MPI on host memory instead."""
    return "host" if (transport or os.environ.get(TRANSPORT_ENV)) == "shared-memory" else transport


def create_communicator(mpi_comm: Any = None, transport: str | None = None) -> MPICommunicator:
    """The communicator of the processes of ``mpi_comm`` (an ``mpi4py`` communicator; default
    ``MPI.COMM_WORLD``). ``transport`` forces how gradients travel (``"host"``, ``"nccl"``,
    ``"cuda-aware-mpi"``; default: the best available, see :mod:`dezero_mpi.transports`)."""
    return MPICommunicator(mpi_comm, transport)


def _difference(reference: list[tuple[str, Any, str]], theirs: list[tuple[str, Any, str]]) -> str:
    """What differs between two parameter lists, naming parameters."""
    ref, other = {n: (s, d) for n, s, d in reference}, {n: (s, d) for n, s, d in theirs}
    parts = [f"{n} is missing" for n in ref if n not in other]
    parts += [f"{n} is extra" for n in other if n not in ref]
    parts += [f"{n} is {other[n][0]} {other[n][1]} instead of {ref[n][0]} {ref[n][1]}"
              for n in ref if n in other and other[n] != ref[n]]
    return ", ".join(parts)
