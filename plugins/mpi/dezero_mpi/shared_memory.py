"""Averaging on one machine through a shared-memory window, without MPI copying the gradients.

MPI_Allreduce between processes of one machine copies every buffer through shared memory several
times. Here the processes share one table (an MPI-3 shared-memory window) of ``size + 1`` rows of
the bucket's flat layout. Process ``r`` owns column block ``r``. It packs its gradients, divided by
the number of processes, into row ``r``, except its own block, which no one else reads; after a
fence, it writes block ``r`` of the last row: its own gradients there, divided, plus every other
row's block ``r``; after a second fence, every process's gradients are views of the last row, the
average. For 2 processes each reads its gradients once, writes half of them, and sums half: about
1.3 gradient-sizes of memory traffic per process against about 5 through MPI_Allreduce and a
separate averaging pass.
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend.protocol import ArrayBackend


class SharedMemoryTransport:
    """Averages one bucket's host (numpy) gradients over processes that all run on one machine
    (broadcasts, which are rare, go through MPI: see ``MPICommunicator.bcast_data``)."""

    name = "shared-memory"

    def __init__(self, mpi_comm: Any, bucket: Any) -> None:
        import numpy
        from mpi4py import MPI

        size, rank = mpi_comm.size, mpi_comm.rank
        count = bucket.buffer.shape[0]
        dtype = numpy.dtype(bucket.buffer.dtype)
        rows = size + 1  # one per process, then the average
        self.window = MPI.Win.Allocate_shared(rows * count * dtype.itemsize if rank == 0 else 0, dtype.itemsize,
                                              comm=mpi_comm)
        memory, _ = self.window.Shared_query(0)
        self.table = numpy.ndarray(buffer=memory, dtype=dtype, shape=(rows, count))
        self.size, self.rank = size, rank
        self.lo, self.hi = count * rank // size, count * (rank + 1) // size
        self.table[rank] = bucket.buffer
        bucket.buffer = self.table[rank]  # packing writes straight into this process's row
        self.window.Fence()

    def average_grads(self, bucket: Any, scale: float) -> Any:
        """The average over all processes of ``bucket``'s gradients (``scale`` is ``1 / size``)
        and flags, as a flat buffer (see :class:`~dezero_mpi.buckets.Bucket`)."""
        bucket.pack_grads(scale, skip=(self.lo, self.hi))
        self.window.Fence()  # every row is written
        self.sum_own_block(bucket, scale)
        self.window.Fence()  # every block is summed
        return self.table[self.size]

    def sum_own_block(self, bucket: Any, scale: float) -> None:
        """Write this process's block of the last row: its own gradients times ``scale`` plus the
        other rows' block, one ``numpy.add`` per row (``numpy.sum(rows, axis=0)`` over a few long
        rows runs 3x slower: 0.87 against 0.25 ms for two rows of 3.6 MB)."""
        import numpy

        table, lo, hi, average = self.table, self.lo, self.hi, self.table[self.size]
        mine = table[self.rank]
        others = [table[row] for row in range(self.size) if row != self.rank]
        flags = max(lo, bucket.flags)  # the flags (in every row) from here to hi
        pieces = [(mine[start:stop] if elements is None else elements, start, stop, scale)  # None: zeros packed
                  for elements, start, stop in bucket.grad_pieces(lo, hi)]
        pieces += [(mine[flags:hi], flags, hi, 1.0)] if flags < hi else []
        for elements, start, stop, factor in pieces:
            out = average[start:stop]
            numpy.multiply(elements, factor, out=out)
            for row in others:
                numpy.add(out, row[start:stop], out=out)

    def free(self) -> None:
        """Release the window (collective)."""
        self.window.Free()
