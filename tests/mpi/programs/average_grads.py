"""``mpiexec -n N python average_grads.py OUT.npz``: hand-made gradients averaged over the processes.

Process r holds, for each parameter, the gradients :func:`gradient` gives (none for ``idle``
anywhere, ``only0`` on rank 0 only); sizes are such that the column blocks of the shared-memory
transport split parameters. Rank 0 writes each averaged gradient (a parameter left without one is
absent) and the bucket's flags. ``DEZERO_MPI_TRANSPORT`` picks the transport.
"""
from __future__ import annotations

import sys

import numpy as np

#: name -> (shape, dtype), in name order
PARAMS = {"a": ((5,), "float32"), "b": ((3, 4), "float32"), "c": ((3,), "float32"), "d": ((7,), "float64"),
          "idle": ((2,), "float32"), "only0": ((4,), "float32")}


def gradient(rank: int, name: str) -> np.ndarray | None:
    """What process ``rank`` holds as ``name``'s gradient: distinct, exactly representable values."""
    if name == "idle" or (name == "only0" and rank != 0):
        return None
    shape, dtype = PARAMS[name]
    count = int(np.prod(shape))
    return ((np.arange(count) - 3.0) * (rank + 1) + 0.25 * len(name)).reshape(shape).astype(dtype)


if __name__ == "__main__":
    import dezero_mpi
    from dezero_core import Parameter
    from dezero_mpi.buckets import make_buckets

    comm = dezero_mpi.create_communicator()
    with comm.abort_on_error():
        named = []
        for name, (shape, dtype) in PARAMS.items():
            param = Parameter(np.zeros(shape, dtype))
            param.grad = gradient(comm.rank, name)
            named.append((name, param))
        buckets = make_buckets(named)
        for _ in range(2):  # twice: the second reuses the transport (a shared-memory window)
            for name, param in named:
                param.grad = gradient(comm.rank, name)
            comm.allreduce_buckets(buckets)
        if comm.rank == 0:
            result = {name: p.grad.data for name, p in named if p.grad is not None}
            result.update({f"transport/{i}": np.array(b.transport.name) for i, b in enumerate(buckets)})
            np.savez(sys.argv[1], **result)
