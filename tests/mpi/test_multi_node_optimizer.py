"""The multi-node optimizer in one process, against a stand-in communicator: it wraps the optimizer
it is given, and a compiled step that contains it runs eagerly (MPI calls cannot be replayed)."""
import numpy as np
import pytest

import dezero_core as dz
from dezero_core import functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import SGD
from dezero_core.static import GraphBreakError, GraphBreakWarning
from dezero_mpi import create_multi_node_optimizer


class Counting:
    """Counts the gradient averagings; a single process, so averaging changes nothing."""

    rank, size = 0, 1

    def __init__(self):
        self.averaged = 0

    def is_broadcast(self, model, key):
        return True

    def allreduce_buckets(self, buckets):
        self.averaged += 1


def setup():
    model = MLP((3,), in_size=2)
    comm = Counting()
    optimizer = create_multi_node_optimizer(SGD(lr=0.1), comm).setup(model)

    def step(x):
        loss = F.sum(model(x) ** 2)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss

    return model, comm, optimizer, step


def test_attributes_are_the_wrapped_optimizers():
    _, _, optimizer, _ = setup()
    optimizer.lr = 0.5  # what a learning-rate schedule does
    assert optimizer.actual_optimizer.lr == 0.5 and optimizer.lr == 0.5
    assert optimizer.state_dict()["hyperparams"] == {"lr": 0.5}


def test_a_compiled_step_containing_it_runs_eagerly_and_averages_every_time():
    model, comm, _, step = setup()
    x = np.ones((4, 2))
    compiled = dz.compile(step)
    with pytest.warns(GraphBreakWarning, match="averages the gradients through MPI"):
        compiled(x)
    before = model.l0.W.data.copy()
    compiled(x)
    assert comm.averaged == 2  # one eager step per call; the traced attempt averaged nothing
    assert not np.array_equal(model.l0.W.data, before)
    with pytest.raises(GraphBreakError, match="keep it out of compiled functions"):
        dz.compile(step, fullgraph=True)(x)
