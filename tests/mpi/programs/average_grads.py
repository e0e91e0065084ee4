"""``mpiexec -n N python average_grads.py OUT.npz``: hand-made gradients averaged over the processes.

Process r holds, for each parameter, the gradients :func:`gradient` gives (none for ``idle``
anywhere, ``only0`` on rank 0 only); sizes are such that the column blocks of the shared-memory
transport split parameters. Two averagings with different gradients run back to back, and the last
rank reads its first average only after a pause, while the others already average again: a
transport that reused the average's memory too early would change it under that rank. Rank 0
writes every rank's averages as ``"<rank>/<round>/<name>"`` (a parameter left without a gradient is
absent) and each bucket's transport. ``DEZERO_MPI_TRANSPORT`` picks the transport.
"""
from __future__ import annotations

import sys
import time

import numpy as np

#: name -> (shape, dtype), in name order
PARAMS = {"a": ((5,), "float32"), "b": ((3, 4), "float32"), "c": ((3,), "float32"), "d": ((7,), "float64"),
          "idle": ((2,), "float32"), "only0": ((4,), "float32")}
ROUNDS = 2


def gradient(rank: int, name: str, round_: int = 0) -> np.ndarray | None:
    """What process ``rank`` holds as ``name``'s gradient in round ``round_``: distinct, exactly
    representable values."""
    if name == "idle" or (name == "only0" and rank != 0):
        return None
    shape, dtype = PARAMS[name]
    count = int(np.prod(shape))
    values = (np.arange(count) - 3.0) * (rank + 1) + 0.25 * len(name) + 100.0 * round_
    return values.reshape(shape).astype(dtype)


if __name__ == "__main__":
    import dezero_mpi
    from dezero_core import Parameter
    from dezero_mpi.buckets import make_buckets

    comm = dezero_mpi.create_communicator()
    with comm.abort_on_error():
        named = [(name, Parameter(np.zeros(shape, dtype))) for name, (shape, dtype) in PARAMS.items()]
        buckets = make_buckets(named)
        mine = {}
        for round_ in range(ROUNDS):  # the second reuses the transport (a shared-memory window)
            for name, param in named:
                param.grad = gradient(comm.rank, name, round_)
            comm.allreduce_buckets(buckets)
            if comm.rank == comm.size - 1:
                time.sleep(0.3)  # the others are averaging the next round by now
            mine.update({f"{comm.rank}/{round_}/{name}": p.grad.data.copy() for name, p in named if p.grad is not None})
        every = comm.gather_object(mine)
        if comm.rank == 0:
            result = {key: value for part in every for key, value in part.items()}
            result.update({f"transport/{i}": np.array(b.transport.name) for i, b in enumerate(buckets)})
            np.savez(sys.argv[1], **result)
