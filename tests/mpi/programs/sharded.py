"""Sharded against unsharded updates on N processes of one machine (``mpiexec -n N python
sharded.py OUT.npz``): rank 0 writes, per case, the weights and optimizer state of both, and
what it observed about the sharded run's memory; every rank checks its weights against rank 0's."""
from __future__ import annotations

import sys

import numpy as np

import dezero_core
import dezero_mpi
from dezero_core import functions as F
from dezero_core import optimizers as O
from dezero_core.layers import Layer
from dezero_core.models import MLP

STEPS, BATCH, FEATURES, CLASSES = 8, 6, 5, 3
#: (case, optimizer factory, hooks factory)
CASES = {
    "SGD": (lambda: O.SGD(lr=0.5), list),
    "MomentumSGD": (lambda: O.MomentumSGD(lr=0.1), list),
    "Adam": (lambda: O.Adam(lr=0.05), list),
    "AdamW": (lambda: O.AdamW(lr=0.05), list),
    "RMSProp": (lambda: O.RMSProp(lr=0.01), list),
    # hooks read the parameters (WeightDecay) and every gradient (ClipGrad's norm)
    "Adam+hooks": (lambda: O.Adam(lr=0.05), lambda: [O.WeightDecay(1e-2), O.ClipGrad(0.5)]),
}


def batches(rank: int, size: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(step)
    x, t = rng.normal(size=(BATCH, FEATURES)), rng.integers(0, CLASSES, BATCH)
    share = BATCH // size
    return x[rank * share:(rank + 1) * share], t[rank * share:(rank + 1) * share]


def train(comm, case: str, shard: bool | None, steps: int = STEPS, model=None, optimizer=None, first: int = 0):
    """``model`` and its multi-node optimizer after ``steps`` more steps (built afresh without them)."""
    make_optimizer, make_hooks = CASES[case]
    if model is None:
        dezero_core.random.seed(comm.rank)  # different on every rank until bcast_data
        model = MLP((40, CLASSES), activation=F.tanh, in_size=FEATURES)
        comm.bcast_data(model)
        optimizer = dezero_mpi.create_multi_node_optimizer(make_optimizer(), comm, shard_update=shard).setup(model)
        for hook in make_hooks():
            optimizer.add_hook(hook)
    for step in range(first, first + steps):
        x, t = batches(comm.rank, comm.size, step)
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
    return model, optimizer


def weights(model: Layer) -> dict[str, np.ndarray]:
    return {name: np.array(p.data) for name, p in model.named_params()}


def state(optimizer) -> dict[str, np.ndarray]:
    return {f"{name}/{slot}": np.array(value) for name, slots in optimizer.state_dict()["state"].items()
            for slot, value in slots.items()}


def same_on_every_rank(comm, arrays: dict[str, np.ndarray]) -> bool:
    every = comm.mpi_comm.allgather({k: v.tobytes() for k, v in arrays.items()})
    return all(theirs == every[0] for theirs in every)


def main(out: str) -> None:
    comm = dezero_mpi.create_communicator()
    results: dict[str, np.ndarray] = {}
    with comm.abort_on_error():
        initial, _ = train(comm, "SGD", False, steps=0)
        for name, array in weights(initial).items():
            results[f"initial/{name}"] = array
        for case in CASES:
            sharded_model, sharded = train(comm, case, None)
            plain_model, plain = train(comm, case, False)
            assert sharded._shared and not plain._shared, case
            views = [not p.data.flags.owndata for p in sharded_model.params()]
            assert all(views), f"{case}: every parameter should view the shared window"
            assert same_on_every_rank(comm, weights(sharded_model)), case
            for name, array in weights(sharded_model).items():
                results[f"{case}/sharded/{name}"] = array
            for name, array in weights(plain_model).items():
                results[f"{case}/plain/{name}"] = array
            for name, array in state(sharded).items():
                results[f"{case}/sharded-state/{name}"] = array
            for name, array in state(plain).items():
                results[f"{case}/plain-state/{name}"] = array

        # resume: both states saved after 4 steps, 4 more steps; then the saved states loaded on every
        # rank (new arrays, no longer views of the window: taken in again) and the same 4 steps
        model, optimizer = train(comm, "Adam", None, steps=4)
        saved_model, saved_optimizer = model.state_dict(), optimizer.state_dict()
        train(comm, "Adam", None, steps=4, model=model, optimizer=optimizer, first=4)
        straight, straight_state = weights(model), state(optimizer)
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        train(comm, "Adam", None, steps=4, model=model, optimizer=optimizer, first=4)
        for name, array in weights(model).items():
            assert np.array_equal(array, straight[name]), f"resumed {name} differs"
        for name, array in state(optimizer).items():  # every process's part of the state, as rank 0 saves it
            assert np.array_equal(array, straight_state[name]), f"resumed state {name} differs"
        results["resumed/views"] = np.array([not p.data.flags.owndata for p in model.params()])

        # the model grows a parameter: the window is released (private copies), new buckets made
        model, optimizer = train(comm, "SGD", None, steps=2)
        before = np.array(model.l0.W.data)
        model.extra = dezero_core.Parameter(np.ones(3), name="extra")
        comm.bcast_data(model)
        y = F.sum(model.extra * 2.0)
        model.cleargrads()
        y.backward()
        optimizer.update()
        results["grown/l0.W-before"] = before
        results["grown/l0.W-after"] = np.array(model.l0.W.data)  # no gradient this step: unchanged
        results["grown/extra"] = np.array(model.extra.data)
        results["grown/views"] = np.array([not p.data.flags.owndata for p in model.params()])

        # micro-batches by hand: the first gradients held while a second backward runs, then added
        for shard in (None, False):
            dezero_core.random.seed(comm.rank)
            model = MLP((40, CLASSES), activation=F.tanh, in_size=FEATURES)
            comm.bcast_data(model)
            optimizer = dezero_mpi.create_multi_node_optimizer(O.Adam(lr=0.05), comm, shard_update=shard)
            optimizer.setup(model)
            for step in range(4):
                x, t = batches(comm.rank, comm.size, step)
                x = x.astype(np.float32)  # the model's dtype: float64 data would give float64 gradients unsharded
                model.cleargrads()
                F.softmax_cross_entropy(model(x[:1]), t[:1]).backward()
                held = {name: p.grad.data for name, p in model.named_params()}
                model.cleargrads()
                F.softmax_cross_entropy(model(x[1:]), t[1:]).backward()
                for name, p in model.named_params():
                    p.grad = p.grad.data + held[name]
                optimizer.update()
            for name, array in weights(model).items():
                results[f"held/{shard}/{name}"] = array

        # a frozen layer: no state for it, as unsharded
        for shard in (None, False):
            model, optimizer = train(comm, "Adam", shard, steps=0)
            optimizer.add_hook(O.FreezeParam(model.l0))
            train(comm, "Adam", shard, steps=3, model=model, optimizer=optimizer)
            results[f"frozen/{shard}/state-names"] = np.array(sorted(state(optimizer)))

        # float32 and float64 parameters: two windows, several steps
        class Mixed(Layer):
            def __init__(self):
                super().__init__()
                self.a = MLP((6, CLASSES), activation=F.tanh, in_size=FEATURES, dtype="float64")
                self.b = MLP((6, CLASSES), activation=F.tanh, in_size=FEATURES, dtype="float32")

        for shard in (None, False):
            dezero_core.random.seed(comm.rank)
            model = Mixed()
            comm.bcast_data(model)
            optimizer = dezero_mpi.create_multi_node_optimizer(O.Adam(lr=0.05), comm, shard_update=shard)
            optimizer.setup(model)
            for step in range(5):
                x, t = batches(comm.rank, comm.size, step)
                model.cleargrads()
                F.softmax_cross_entropy(model.a(x), t).backward()
                F.softmax_cross_entropy(model.b(x.astype(np.float32)), t).backward()
                optimizer.update()
            results[f"mixed/{shard}/windows"] = np.array(len(optimizer._shared or []))
            for name, array in weights(model).items():
                results[f"mixed/{shard}/{name}"] = array
            optimizer.close()  # collective; private copies stay
            results[f"mixed/{shard}/private-after-close"] = np.array([p.data.flags.owndata for p in model.params()])

        # a sharded optimizer dropped for another: the gradients go back to new arrays
        import gc

        from dezero_core.graph.grad_buffers import GRAD_BUFFERS

        model, optimizer = train(comm, "Adam", None, steps=2)
        results["dropped/registered-before"] = np.array([id(p) in GRAD_BUFFERS for p in model.params()])
        adam = optimizer.actual_optimizer
        del optimizer
        gc.collect()
        results["dropped/registered-after"] = np.array([id(p) in GRAD_BUFFERS for p in model.params()])
        optimizer = dezero_mpi.create_multi_node_optimizer(adam, comm).setup(model)  # the same Adam, unsharded
        train(comm, "Adam", False, steps=1, model=model, optimizer=optimizer, first=2)
        reference, _ = train(comm, "Adam", False, steps=3)
        for name, array in weights(model).items():
            results[f"dropped/weights/{name}"] = array
        for name, array in weights(reference).items():
            results[f"dropped/reference/{name}"] = array
        results["dropped/same-on-every-rank"] = np.array(same_on_every_rank(comm, weights(model)))

        # shard_update=True where it cannot work: an optimizer that is not elementwise
        class Normalized(O.Optimizer):
            def update_one(self, data, grad, state):
                data -= grad / np.linalg.norm(grad)

        dezero_core.random.seed(0)
        model = MLP((4, CLASSES), in_size=FEATURES)
        comm.bcast_data(model)
        optimizer = dezero_mpi.create_multi_node_optimizer(Normalized(), comm, shard_update=True).setup(model)
        x, t = batches(comm.rank, comm.size, 0)
        F.softmax_cross_entropy(model(x), t).backward()
        try:
            optimizer.update()
        except dezero_mpi.ShardingUnavailable as exc:
            if comm.rank == 0:
                print(f"refused: {exc}")

        class Doubled(O.SGD):  # an update_param of its own: a sharded update would not run it
            def update_param(self, name, data, grad):
                data -= 2 * self.lr * grad

        for shard in (True, None):
            optimizer = dezero_mpi.create_multi_node_optimizer(Doubled(lr=0.1), comm, shard_update=shard)
            optimizer.setup(model)
            try:
                optimizer.update()
            except dezero_mpi.ShardingUnavailable as exc:
                if comm.rank == 0:
                    print(f"refused: {exc}")
            results[f"doubled/{shard}/sharded"] = np.array(bool(optimizer._shared))
    if comm.rank == 0:
        np.savez(out, **results)


if __name__ == "__main__":
    main(sys.argv[1])
