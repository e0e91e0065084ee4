"""``bcast_data`` on models that differ between ranks, an update of a model never broadcast, and
``comm.mean``:
``mpiexec -n 2 python collectives.py OUT``: each rank writes ``CASE: <exception type>: <message>`` for
every case, in order, one per line, into OUT/rank<r>.txt (``ok``, or the repr of what it returned)."""
from __future__ import annotations

import os
import sys

import numpy as np

import dezero_mpi
from dezero_core import functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import SGD


def attempt(case: str, action) -> None:
    """Run ``action`` and append its outcome to this rank's file."""
    try:
        value = action()
        result = "ok" if value is None else repr(value)
    except Exception as exc:
        result = f"{type(exc).__name__}: {exc}"
    with open(os.path.join(sys.argv[1], f"rank{comm.rank}.txt"), "a") as f:
        f.write(f"{case}: {result}\n")


comm = dezero_mpi.create_communicator()
other = comm.rank == 1
with comm.abort_on_error():
    attempt("shape", lambda: comm.bcast_data(MLP((8 if other else 7, 3), in_size=5)))
    attempt("dtype", lambda: comm.bcast_data(MLP((7, 3), in_size=5, dtype="float32" if other else "float64")))
    attempt("lazy", lambda: comm.bcast_data(MLP((7, 3), in_size=None if other else 5)))

    def update_without_bcast() -> None:
        model = MLP((7, 3), in_size=5)
        optimizer = dezero_mpi.create_multi_node_optimizer(SGD(), comm).setup(model)
        F.sum(model(np.ones((2, 5)))).backward()
        optimizer.update()

    attempt("no-bcast", update_without_bcast)
    attempt("same", lambda: comm.bcast_data(MLP((7, 3), in_size=5)))

    def weighted_mean() -> list:  # rank r saw r + 1 samples of mean loss r + 1 and accuracy 1 / (r + 1)
        means = comm.mean({"loss": comm.rank + 1.0, "accuracy": 1 / (comm.rank + 1)}, weight=comm.rank + 1)
        return sorted(means.items())

    attempt("mean", weighted_mean)
