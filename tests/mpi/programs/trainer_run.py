"""A Trainer run on N MPI processes, for the failure, resume and compile tests.

``mpiexec -n N python trainer_run.py OUT [--epochs E] [--resume] [--raise-on-rank R] [--slow]
[--checkpoint-every B] [--compile] [--shard]``: trains a small classifier on a fixed synthetic set with
``Trainer(communicator=...)``, checkpointing every B batches (default 1) into OUT/ckpt. Every rank
writes its pid to OUT/pid.<rank>, rank 0 writes OUT/ready once epoch 2 has begun; the final weights
go to OUT/weights.npz (rank 0) and OUT/weights.<rank>.npz (the others). ``--raise-on-rank R`` makes
rank R raise in its 7th batch; ``--slow`` sleeps 20 ms per batch (time for a test to kill it
mid-training); ``--compile`` passes ``compile=True`` to the Trainer; ``--shard`` shards the updates
(``shard_update=True``).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import dezero_core
import dezero_mpi
from dezero_core import functions as F
from dezero_core.data import DataLoader, Dataset
from dezero_core.hookspecs import hookimpl
from dezero_core.models import MLP
from dezero_core.optimizers import Adam
from dezero_core.training import Checkpoint, Trainer


class Probe:
    """Test hooks: announce readiness, fail, or slow down, as the options say."""

    def __init__(self, args: argparse.Namespace, rank: int) -> None:
        self.args, self.rank = args, rank

    @hookimpl
    def dezero_batch_end(self, epoch: int, iteration: int) -> None:
        if self.args.raise_on_rank == self.rank and (epoch, iteration) == (1, 7):
            raise RuntimeError(f"injected failure on rank {self.rank} at batch 7")
        if self.rank == 0 and (epoch, iteration) == (2, 1):
            open(os.path.join(self.args.out, "ready"), "w").close()
        if self.args.slow:
            time.sleep(0.02)


def main() -> None:
    """Train as the options say (see the module docstring)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--raise-on-rank", type=int, default=None)
    parser.add_argument("--slow", action="store_true")
    parser.add_argument("--checkpoint-every", type=int, default=1)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--shard", action="store_true")
    args = parser.parse_args()
    comm = dezero_mpi.create_communicator()
    with open(os.path.join(args.out, f"pid.{comm.rank}"), "w") as f:
        f.write(str(os.getpid()))
    with comm.abort_on_error():
        dezero_core.random.seed(3)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(120, 6))
        t = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5)
        train = dezero_mpi.scatter_dataset(Dataset(x, t), comm, seed=1)
        model = MLP((10, 3), activation=F.tanh, in_size=6)
        comm.bcast_data(model)
        optimizer = dezero_mpi.create_multi_node_optimizer(Adam(lr=0.01), comm, shard_update=args.shard)
        optimizer.setup(model)
        checkpoint = os.path.join(args.out, "ckpt")
        trainer = Trainer(model, F.softmax_cross_entropy, optimizer, DataLoader(train, 4, seed=5 + comm.rank),
                          extensions=[Checkpoint(checkpoint, every_iterations=args.checkpoint_every), Probe(args, comm.rank)],
                          communicator=comm, compile=args.compile)
        if args.resume:
            trainer.load_checkpoint(checkpoint)
        trainer.fit(args.epochs)
        weights = {k: np.asarray(v) for k, v in model.state_dict().items()}
        np.savez(os.path.join(args.out, "weights.npz" if comm.rank == 0 else f"weights.{comm.rank}.npz"), **weights)
        if comm.rank == 0:
            print("history", trainer.history[-1])


if __name__ == "__main__":
    main()
