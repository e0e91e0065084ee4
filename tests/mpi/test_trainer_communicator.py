"""``Trainer(communicator=...)`` in one process, against stand-in communicators: what it refuses,
which extensions run on which rank, and resuming a checkpoint of another number of processes. The
multi-process behaviour itself runs under mpiexec in test_failures.py and test_mpi_train_command.py."""
import numpy as np
import pytest

from dezero_core import functions as F
from dezero_core.data import DataLoader, Dataset
from dezero_core.models import MLP
from dezero_core.optimizers import SGD
from dezero_core.training import Checkpoint, CheckpointError, PlotReport, ProgressBar, Trainer
from dezero_mpi import create_multi_node_optimizer


class Alone:
    """A communicator of ``size`` processes seen from ``rank``, where every other process sent
    nothing and holds what this one holds (enough for one-process calls)."""

    def __init__(self, rank=0, size=1):
        self.rank, self.size = rank, size

    def allreduce_sum(self, values):
        return [v * self.size for v in values]

    def gather_object(self, obj):
        return [obj] * self.size if self.rank == 0 else None

    def bcast_object(self, obj):
        return obj


def trainer(comm, optimizer=None, extensions=(), **kw):
    """A small classifier's Trainer under ``comm``."""
    model = MLP((4, 2), in_size=3)
    x = np.random.default_rng(0).normal(size=(8, 3))
    optimizer = create_multi_node_optimizer(SGD(), comm) if optimizer is None else optimizer
    return Trainer(model, F.softmax_cross_entropy, optimizer.setup(model),
                   DataLoader(Dataset(x, np.arange(8) % 2), 4, seed=0), extensions=extensions, communicator=comm, **kw)


def test_an_optimizer_that_does_not_average_through_the_communicator_is_refused():
    with pytest.raises(ValueError, match=r"wrap it with dezero_mpi.create_multi_node_optimizer\(optimizer, communicator\)"):
        trainer(Alone(), optimizer=SGD())
    with pytest.raises(ValueError, match="averages gradients across the processes of that communicator"):
        trainer(Alone(), optimizer=create_multi_node_optimizer(SGD(), Alone()))


def test_progress_and_plots_run_on_rank_0_only_and_checkpoints_everywhere(tmp_path):
    def registered(rank):
        extensions = [ProgressBar(), PlotReport(tmp_path / "p.png"), Checkpoint(tmp_path / "c")]
        t = trainer(Alone(rank, 2), extensions=extensions)
        return [type(e).__name__ for e in t.extensions if t.plugin_manager.is_registered(e)]

    assert registered(0) == ["ProgressBar", "PlotReport", "Checkpoint"]
    assert registered(1) == ["Checkpoint"]  # it must still take part in gathering every rank's state


def test_stateful_extensions_have_the_same_checkpoint_keys_on_every_rank(tmp_path):
    class Counter:  # stateful, on every rank (as EarlyStopping: ranks that disagree would deadlock)
        def state_dict(self):
            return {"n": 1}

        def load_state_dict(self, state):
            pass

    def keys(rank):
        extensions = [ProgressBar(), PlotReport(tmp_path / "p.png"), Counter()]
        return [key for key, _ in trainer(Alone(rank, 2), extensions=extensions)._stateful_extensions()]

    assert keys(0) == keys(1) == ["2:Counter"]


def test_only_rank_0_writes_the_checkpoint_with_every_ranks_part(tmp_path):
    trainer(Alone(1, 2)).save_checkpoint(tmp_path / "c1")
    assert not (tmp_path / "c1").exists()
    trainer(Alone(0, 2)).save_checkpoint(tmp_path / "c0")
    from dezero_core.training import load_checkpoint

    state = load_checkpoint(tmp_path / "c0")
    assert len(state["ranks"]) == 2 and sorted(state["ranks"][1]) == ["loaders", "random", "sums"]


def test_a_checkpoint_of_another_number_of_processes_is_refused_on_resume(tmp_path):
    trainer(Alone(0, 2)).save_checkpoint(tmp_path / "c")
    with pytest.raises(CheckpointError, match=r"written by 2 processes but 3 are resuming.*mpiexec -n 2"):
        trainer(Alone(0, 3)).load_checkpoint(tmp_path / "c")


def test_a_checkpoint_that_cannot_be_read_fails_on_every_rank(tmp_path):
    class Recorder(Alone):
        def bcast_object(self, obj):
            self.sent = obj
            return obj

    (tmp_path / "c").write_bytes(b"not a checkpoint")
    rank0 = Recorder(0, 2)
    with pytest.raises(CheckpointError) as on_rank0:
        trainer(rank0).load_checkpoint(tmp_path / "c")
    assert str(tmp_path / "c") in str(on_rank0.value)

    class Rank1(Alone):  # receives what rank 0 broadcast; never reads the file itself
        def bcast_object(self, obj):
            assert obj is None
            return rank0.sent

    with pytest.raises(CheckpointError) as on_rank1:
        trainer(Rank1(1, 2)).load_checkpoint(tmp_path / "missing-here")
    assert str(on_rank1.value) == str(on_rank0.value)
