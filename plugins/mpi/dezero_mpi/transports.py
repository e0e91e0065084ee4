"""How a flat buffer of one backend goes through a collective.

- :class:`~dezero_mpi.shared_memory.SharedMemoryTransport`: numpy buffers of processes that all run
  on one machine, averaged in a shared-memory window (no MPI copies).
- :class:`NcclTransport`: GPU arrays through NCCL (``cupy.cuda.nccl``), device to device.
- :class:`CudaAwareMPITransport`: GPU arrays handed to an MPI built with CUDA support.
- :class:`HostTransport`: MPI on host memory. numpy arrays are host memory already and go as they
  are (no copy); any other backend's array is copied to the host and back through the backend
  protocol (``to_host``/``from_host``).

:func:`select_transport` picks, for a buffer, the first that applies in that order; a GPU array is
one that exposes ``__cuda_array_interface__``. Every transport averages a bucket's gradients with
``average_grads(bucket, 1 / size)``; those here pack the gradients already divided by the number of
processes (the division rides on the packing copy instead of a pass of its own) and sum the buffer
with the library's collective (``allreduce_sum``).
``DEZERO_MPI_TRANSPORT=shared-memory|host|nccl|cuda-aware-mpi``
(or ``create_communicator(transport=...)``) forces one, for benchmarks and for sites that know
better than the probe.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any

from dezero_core.backend.protocol import ArrayBackend

TRANSPORT_ENV = "DEZERO_MPI_TRANSPORT"
NAMES = ("shared-memory", "host", "nccl", "cuda-aware-mpi")


class TransportError(RuntimeError):
    """A transport that was asked for and cannot work here (says why and what to use instead)."""


class _PackThenSum:
    """``average_grads`` through a library's sum: pack the gradients times ``scale`` (``1 / size``),
    then sum the buffer over the processes."""

    def average_grads(self, bucket: Any, scale: float) -> Any:
        """The average over all processes of ``bucket``'s gradients and flags, as a flat buffer."""
        return self.allreduce_sum(bucket.pack_grads(scale), bucket.backend)  # type: ignore[attr-defined]


class HostTransport(_PackThenSum):
    """MPI collectives on host memory (every MPI library supports this)."""

    name = "host"

    def __init__(self, mpi_comm: Any) -> None:
        self.mpi_comm = mpi_comm

    def allreduce_sum(self, buffer: Any, backend: ArrayBackend) -> Any:
        """The elementwise sum of ``buffer`` over all processes (in place where it is host memory)."""
        from mpi4py import MPI

        host = backend.to_host(buffer)
        self.mpi_comm.Allreduce(MPI.IN_PLACE, host, op=MPI.SUM)
        return buffer if host is buffer else backend.from_host(host, backend.device_of(buffer))

    def bcast(self, buffer: Any, backend: ArrayBackend, root: int = 0) -> Any:
        """Rank ``root``'s ``buffer`` on every process."""
        host = backend.to_host(buffer)
        self.mpi_comm.Bcast(host, root=root)
        return buffer if host is buffer else backend.from_host(host, backend.device_of(buffer))


class CudaAwareMPITransport(_PackThenSum):
    """MPI collectives directly on GPU memory (MPI libraries built with CUDA support)."""

    name = "cuda-aware-mpi"

    def __init__(self, mpi_comm: Any) -> None:
        self.mpi_comm = mpi_comm

    def allreduce_sum(self, buffer: Any, backend: ArrayBackend) -> Any:
        """The elementwise sum of ``buffer`` over all processes, in place."""
        from mpi4py import MPI

        backend.synchronize()  # MPI reads the memory outside the stream that computed it
        self.mpi_comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        return buffer

    def bcast(self, buffer: Any, backend: ArrayBackend, root: int = 0) -> Any:
        backend.synchronize()
        self.mpi_comm.Bcast(buffer, root=root)
        return buffer


class NcclTransport(_PackThenSum):
    """NCCL collectives on the current CUDA stream (one NCCL communicator over the MPI processes,
    set up with an id that rank 0 creates and MPI broadcasts, as ChainerMN's pure_nccl does)."""

    name = "nccl"

    def __init__(self, mpi_comm: Any) -> None:
        from cupy.cuda import nccl

        self._nccl = nccl
        uid = nccl.get_unique_id() if mpi_comm.rank == 0 else None
        self.comm = nccl.NcclCommunicator(mpi_comm.size, mpi_comm.bcast(uid, root=0), mpi_comm.rank)

    def _args(self, buffer: Any) -> tuple[int, int, int, int]:
        import cupy

        names = {"float16": self._nccl.NCCL_FLOAT16, "float32": self._nccl.NCCL_FLOAT32,
                 "float64": self._nccl.NCCL_FLOAT64}
        dtype = str(buffer.dtype)
        if dtype not in names:
            raise TransportError(f"NCCL reduces float16, float32 and float64 buffers, not {dtype}; "
                                 f"set {TRANSPORT_ENV}=host")
        pointer = buffer.__cuda_array_interface__["data"][0]
        return pointer, buffer.size, names[dtype], cupy.cuda.get_current_stream().ptr

    def allreduce_sum(self, buffer: Any, backend: ArrayBackend) -> Any:
        """The elementwise sum of ``buffer`` over all processes, in place, on the current stream."""
        pointer, count, dtype, stream = self._args(buffer)
        self.comm.allReduce(pointer, pointer, count, dtype, self._nccl.NCCL_SUM, stream)
        return buffer

    def bcast(self, buffer: Any, backend: ArrayBackend, root: int = 0) -> Any:
        pointer, count, dtype, stream = self._args(buffer)
        self.comm.bcast(pointer, count, dtype, root, stream)
        return buffer


def nccl_unavailable() -> str | None:
    """Why NCCL cannot be used here, or None when ``cupy.cuda.nccl`` imports and sees a GPU."""
    try:
        import cupy
        from cupy.cuda import nccl  # noqa: F401  (cupy built without NCCL raises here)

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no CUDA device"
    except Exception as exc:  # cupy missing, no driver, cupy without NCCL
        return f"{type(exc).__name__}: {exc}"
    return None


def cuda_aware_mpi() -> bool:
    """Whether the MPI library says it handles CUDA memory (MPICH's ``MPIX_GPU_query_support``,
    Open MPI's ``MPIX_Query_cuda_support``); False when it has neither query."""
    from mpi4py import MPI

    try:
        lib = ctypes.CDLL(MPI.__file__)  # mpi4py's extension: its MPI library's symbols resolve through it
    except OSError:
        return False
    if hasattr(lib, "MPIX_GPU_query_support"):
        supported = ctypes.c_int(0)
        return lib.MPIX_GPU_query_support(0, ctypes.byref(supported)) == 0 and supported.value == 1  # 0: CUDA
    if hasattr(lib, "MPIX_Query_cuda_support"):
        return lib.MPIX_Query_cuda_support() == 1
    return False


def select_transport(buffer: Any, mpi_comm: Any, forced: str | None = None, bucket: Any = None,
                     one_machine: bool = False) -> Any:
    """The transport for ``buffer``: ``forced`` (or ``$DEZERO_MPI_TRANSPORT``) if set, else NCCL or
    CUDA-aware MPI for a GPU array where available, else shared memory for the numpy ``bucket`` of
    processes all on ``one_machine``, else host memory through MPI."""
    forced = forced or os.environ.get(TRANSPORT_ENV) or None
    if forced is not None and forced not in NAMES:
        raise TransportError(f"unknown transport {forced!r} (from {TRANSPORT_ENV} or transport=); choose one "
                             f"of {', '.join(NAMES)}")
    on_gpu = hasattr(buffer, "__cuda_array_interface__")
    shareable = bucket is not None and one_machine and type(buffer).__module__ == "numpy"
    if forced == "shared-memory" and not shareable:
        raise TransportError(f"the shared-memory transport averages the numpy gradients of processes on one "
                             f"machine; these are {type(buffer).__name__}"
                             f"{'' if one_machine else ' on several machines'}: unset {TRANSPORT_ENV}")
    if forced in (None, "shared-memory") and shareable:
        from dezero_mpi.shared_memory import SharedMemoryTransport

        return SharedMemoryTransport(mpi_comm, bucket)
    if forced == "host" or (forced is None and not on_gpu):
        return HostTransport(mpi_comm)
    if not on_gpu:
        raise TransportError(f"the {forced} transport needs GPU arrays, and these are {type(buffer).__name__}; "
                             f"unset {TRANSPORT_ENV} or use host")
    if forced == "cuda-aware-mpi":  # the site says so: older MPI libraries have no query to ask
        return CudaAwareMPITransport(mpi_comm)
    nccl_missing = nccl_unavailable()
    if _everywhere(mpi_comm, nccl_missing is None):  # one rank's choice alone would leave the rest waiting
        return NcclTransport(mpi_comm)
    if forced == "nccl":
        raise TransportError(f"NCCL is not usable on every process ({nccl_missing or 'another rank lacks it'}); "
                             f"unset {TRANSPORT_ENV} to fall back")
    return CudaAwareMPITransport(mpi_comm) if _everywhere(mpi_comm, cuda_aware_mpi()) else HostTransport(mpi_comm)


def _everywhere(mpi_comm: Any, flag: bool) -> bool:
    """Whether ``flag`` is true on every process (collective)."""
    from mpi4py import MPI

    return bool(mpi_comm.allreduce(bool(flag), op=MPI.LAND))
