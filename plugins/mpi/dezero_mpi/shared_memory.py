"""Averaging on one machine through a shared-memory window, without MPI copying the gradients.

MPI_Allreduce between processes of one machine copies every buffer through shared memory several
times. Here the processes share one table (an MPI-3 shared-memory window) in the bucket's flat
layout: its last row becomes the average, and process ``r`` owns column block ``r`` of it.

1. Once every process is done with the last average (a fence), process ``r`` packs its gradients,
   divided by the number of processes, for the other blocks: block ``r - 1`` (cyclically) straight
   into the average row, as that block's first term, the rest into its own row ``r`` of the table.
   Its own block stays where it is, in its gradient arrays.
2. After a second fence, it adds its own gradients, divided, into block ``r`` of the average row in
   one BLAS ``axpy`` pass (``y += a x``), then the rows of the processes other than ``r + 1``.
3. After a third fence, every process's gradients are views of the average row.

With 2 processes the table is the average row alone: each process writes half of its gradients into
it and adds the other half onto what the other process wrote, one pass each.
"""
from __future__ import annotations

from typing import Any, Callable

from dezero_core.backend.protocol import ArrayBackend

#: elements per block of :func:`_numpy_axpy`'s scratch buffer (256 KB of float32: within L2)
AXPY_BLOCK = 1 << 16


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
        rows = size + 1 if size > 2 else 1  # one per process (needed from 3 on), then the average
        self.window = MPI.Win.Allocate_shared(rows * count * dtype.itemsize if rank == 0 else 0, dtype.itemsize,
                                              comm=mpi_comm)
        memory, _ = self.window.Shared_query(0)
        self.table = numpy.ndarray(buffer=memory, dtype=dtype, shape=(rows, count))
        self.size, self.rank = size, rank
        self.blocks = [(count * b // size, count * (b + 1) // size) for b in range(size)]
        self.axpy = axpy_for(dtype)
        self.window.Fence()

    def average_grads(self, bucket: Any, scale: float) -> Any:
        """The average over all processes of ``bucket``'s gradients (``scale`` is ``1 / size``)
        and flags, as a flat buffer (see :class:`~dezero_mpi.buckets.Bucket`)."""
        average = self.table[-1]
        first = (self.rank - 1) % self.size  # the block whose first term this process writes
        self.window.Fence()  # no process reads the last average any more (its update is done)
        for block, (lo, hi) in enumerate(self.blocks):
            if block != self.rank:
                bucket.pack_grads(scale, lo, hi, out=average if block == first else self.table[self.rank])
        self.window.Fence()  # every term is written
        self.add_own_block(bucket, scale)
        self.window.Fence()  # every block is summed
        return average

    def add_own_block(self, bucket: Any, scale: float) -> None:
        """Complete this process's block of the average row: add its own gradients and flags times
        ``scale``, then the rows of the processes that did not write the block's first term."""
        import numpy

        lo, hi = self.blocks[self.rank]
        average = self.table[-1]
        others = [self.table[q] for q in range(self.size) if q not in (self.rank, (self.rank + 1) % self.size)]
        for elements, start, stop in bucket.grad_pieces(lo, hi):
            out = average[start:stop]
            if elements is not None:  # None: no gradient, nothing to add
                self.axpy(scale, elements, out)
            for row in others:
                numpy.add(out, row[start:stop], out=out)

    def free(self) -> None:
        """Release the window (collective)."""
        self.window.Free()


def axpy_for(dtype: Any) -> Callable[[float, Any, Any], None]:
    """``axpy(a, x, y)``: ``y += a * x`` in place on contiguous 1-d arrays of ``dtype``.

    BLAS's ``saxpy``/``daxpy`` through scipy where it is installed: one pass, reading x and y and
    writing y (3.6 MB of float32: 0.58 ms, against 0.98 ms for numpy's multiply into a buffer then
    add, and 0.63 + 0.53 ms for the two in one process's averaging step). Otherwise, and for
    other dtypes, numpy's multiply then add by cache-sized blocks (:func:`_numpy_axpy`). Both round
    ``a * x + y`` once per element when ``a`` is a power of two (``a * x`` is then exact), so they
    agree to the bit there.
    """
    import numpy

    name = {numpy.dtype("float32"): "saxpy", numpy.dtype("float64"): "daxpy"}.get(numpy.dtype(dtype))
    try:
        from scipy.linalg import blas
    except ImportError:
        blas = None
    if blas is None or name is None:
        return _numpy_axpy
    routine = getattr(blas, name)

    def axpy(a: float, x: Any, y: Any) -> None:
        if x.dtype != y.dtype or not (x.flags.c_contiguous and y.flags.c_contiguous):
            return _numpy_axpy(a, x, y)  # BLAS would work on a converted copy of y
        routine(x, y, a=a)  # y is updated in place (f2py's intent(in,out) on a matching array)

    return axpy


def _numpy_axpy(a: float, x: Any, y: Any) -> None:
    """``y += a * x`` with numpy ufuncs, :data:`AXPY_BLOCK` elements at a time through a scratch
    buffer that stays in cache (one temporary the size of x would be a fresh mmap, page faults and all)."""
    import numpy

    scratch = numpy.empty(min(AXPY_BLOCK, x.shape[0]), dtype=y.dtype)
    for start in range(0, x.shape[0], AXPY_BLOCK):
        stop = min(start + AXPY_BLOCK, x.shape[0])
        part = scratch[:stop - start]
        numpy.multiply(x[start:stop], a, out=part)
        numpy.add(y[start:stop], part, out=y[start:stop])
