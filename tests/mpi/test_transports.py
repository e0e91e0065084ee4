"""How gradients travel: host memory for host arrays; NCCL or CUDA-aware MPI only for GPU arrays,
and a forced transport that cannot work is a clear error (issue 12). The GPU paths themselves run
in test_gpu_transports.py, on a machine with GPUs."""
import numpy as np
import pytest

from dezero_mpi.transports import TRANSPORT_ENV, HostTransport, TransportError, select_transport


class NoCollectives:
    """A stand-in MPI communicator: choosing a transport for host arrays must not communicate."""

    rank, size = 0, 2

    def __getattr__(self, name):
        raise AssertionError(f"unexpected MPI call {name}")


def test_host_arrays_go_through_host_memory(monkeypatch):
    monkeypatch.delenv(TRANSPORT_ENV, raising=False)
    assert isinstance(select_transport(np.zeros(3, np.float32), NoCollectives()), HostTransport)


@pytest.mark.parametrize("forced", ["nccl", "cuda-aware-mpi"])
def test_a_gpu_transport_forced_on_host_arrays_is_an_error(forced):
    with pytest.raises(TransportError, match=f"the {forced} transport needs GPU arrays, and these are ndarray"):
        select_transport(np.zeros(3), NoCollectives(), forced)


def test_the_environment_variable_forces_a_transport(monkeypatch):
    monkeypatch.setenv(TRANSPORT_ENV, "nccl")
    with pytest.raises(TransportError, match="needs GPU arrays"):
        select_transport(np.zeros(3), NoCollectives())
    monkeypatch.setenv(TRANSPORT_ENV, "carrier-pigeon")
    with pytest.raises(TransportError, match="unknown transport 'carrier-pigeon'.*shared-memory, host, nccl"):
        select_transport(np.zeros(3), NoCollectives())


def test_shared_memory_forced_where_it_cannot_work_is_an_error():
    class Bucket:
        buffer = np.zeros(3)

    with pytest.raises(TransportError, match="processes on one machine; these are ndarray on several machines"):
        select_transport(np.zeros(3), NoCollectives(), "shared-memory", Bucket(), one_machine=False)
    with pytest.raises(TransportError, match="numpy gradients"):
        select_transport(np.zeros(3), NoCollectives(), "shared-memory", None, one_machine=True)
