"""20 steps on a fixed data set: as one process with global batch B, or as N MPI processes with
B/N each (``mpiexec -n N python equivalence.py OUT.npz``: rank 0 writes the weights)."""
from __future__ import annotations

import sys

import numpy as np

import dezero_core
from dezero_core import functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import SGD, Adam

STEPS, BATCH, FEATURES, CLASSES = 20, 12, 5, 3
CASES = [(opt, dtype) for opt in ("SGD", "Adam") for dtype in ("float64", "float32")]


def data(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The fixed samples and labels of every step, in ``dtype``."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS * BATCH, FEATURES)).astype(dtype)
    return x, rng.integers(0, CLASSES, STEPS * BATCH)


def train(opt: str, dtype: str, comm=None) -> dict[str, np.ndarray]:
    """The weights after STEPS updates; with ``comm``, this rank takes its share of every batch."""
    rank, size = (0, 1) if comm is None else (comm.rank, comm.size)
    dezero_core.random.seed(100 + rank)  # different initial weights per rank: bcast_data must fix them
    model = MLP((7, CLASSES), activation=F.tanh, in_size=FEATURES, dtype=dtype)
    optimizer = SGD(lr=0.5) if opt == "SGD" else Adam(lr=0.05)
    if comm is not None:
        import dezero_mpi

        comm.bcast_data(model)
        optimizer = dezero_mpi.create_multi_node_optimizer(optimizer, comm)
    optimizer.setup(model)
    x, t = data(dtype)
    backend = dezero_core.get_backend()  # DEZERO_BACKEND=cupy runs it on GPUs (test_gpu_transports.py)
    share = BATCH // size
    for step in range(STEPS):
        lo = step * BATCH + rank * share
        xb, tb = (backend.from_host(a[lo:lo + share]) for a in (x, t))
        loss = F.softmax_cross_entropy(model(xb), tb)
        model.cleargrads()
        loss.backward()
        optimizer.update()
    return {name: backend.to_host(value) for name, value in model.state_dict().items()}


if __name__ == "__main__":
    import dezero_mpi

    comm = dezero_mpi.create_communicator()
    with comm.abort_on_error():
        if dezero_core.get_backend().name == "cupy":  # one GPU per process of a machine, where there are enough
            import cupy

            cupy.cuda.Device(comm.intra_rank % cupy.cuda.runtime.getDeviceCount()).use()
        results = {f"{opt}/{dtype}/{name}": w for opt, dtype in CASES for name, w in train(opt, dtype, comm).items()}
        if comm.rank == 0:
            np.savez(sys.argv[1], **results)
