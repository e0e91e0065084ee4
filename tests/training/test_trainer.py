"""Trainer: the loop, history, evaluation, hooks and extensions, bad input."""
import numpy as np
import pytest

import dezero_core
from dezero_core import functions as F
from dezero_core.data import DataLoader, Dataset
from dezero_core.hookspecs import hookimpl
from dezero_core.models import MLP
from dezero_core.optimizers import SGD
from dezero_core.training import EarlyStopping, Trainer
from training_setup import digits_trainer, params


class Recorder:
    """An extension that records every hook call."""

    def __init__(self, log=None, name="rec"):
        self.log = [] if log is None else log
        self.name = name

    @hookimpl
    def dezero_fit_start(self, epochs):
        self.log.append((self.name, "fit_start", epochs))

    @hookimpl
    def dezero_epoch_start(self, epoch):
        self.log.append((self.name, "epoch_start", epoch))

    @hookimpl
    def dezero_batch_end(self, epoch, iteration, loss, accuracy, batch_size):
        self.log.append((self.name, "batch_end", epoch, iteration, batch_size))
        assert isinstance(loss, float) and 0.0 <= accuracy <= 1.0

    @hookimpl
    def dezero_epoch_end(self, epoch, record):
        self.log.append((self.name, "epoch_end", epoch, sorted(record)))

    @hookimpl
    def dezero_fit_end(self):
        self.log.append((self.name, "fit_end"))


def test_fit_learns_the_digits():
    trainer = digits_trainer()
    trainer.fit(3)
    assert trainer.history[-1]["test_accuracy"] > 0.85
    assert trainer.history[-1]["train_loss"] < trainer.history[0]["train_loss"]


def test_history_has_one_record_per_epoch_with_train_and_test_metrics():
    trainer = digits_trainer(train_size=64)
    history = trainer.fit(2)
    assert history is trainer.history and [r["epoch"] for r in history] == [1, 2]
    assert sorted(history[0]) == ["epoch", "test_accuracy", "test_loss", "train_accuracy", "train_loss"]


def test_train_metrics_are_sample_weighted_means_of_the_batches():
    rec = Recorder()
    batches = []

    class Batches:
        @hookimpl
        def dezero_batch_end(self, loss, accuracy, batch_size):
            batches.append((loss, accuracy, batch_size))

    trainer = digits_trainer(train_size=70, batch_size=32, extensions=[rec, Batches()])
    trainer.fit(1)
    n = sum(b for _, _, b in batches)
    assert [b for _, _, b in batches] == [32, 32, 6]
    assert trainer.history[0]["train_loss"] == pytest.approx(sum(l * b for l, _, b in batches) / n)
    assert trainer.history[0]["train_accuracy"] == pytest.approx(sum(a * b for _, a, b in batches) / n)


def test_fit_counts_epochs_in_total():
    trainer = digits_trainer(train_size=64, test=False)
    trainer.fit(2)
    trainer.fit(3)
    assert [r["epoch"] for r in trainer.history] == [1, 2, 3]
    trainer.fit(3)
    assert len(trainer.history) == 3


def test_without_test_loader_records_only_train_metrics():
    trainer = digits_trainer(train_size=64, test=False)
    trainer.fit(1)
    assert sorted(trainer.history[0]) == ["epoch", "train_accuracy", "train_loss"]


def test_hooks_are_called_in_life_cycle_order_with_their_arguments():
    rec = Recorder()
    digits_trainer(train_size=64, batch_size=32, test=False, extensions=[rec]).fit(2)
    keys = ["epoch", "train_accuracy", "train_loss"]
    assert rec.log == [
        ("rec", "fit_start", 2),
        ("rec", "epoch_start", 1), ("rec", "batch_end", 1, 1, 32), ("rec", "batch_end", 1, 2, 32),
        ("rec", "epoch_end", 1, keys),
        ("rec", "epoch_start", 2), ("rec", "batch_end", 2, 1, 32), ("rec", "batch_end", 2, 2, 32),
        ("rec", "epoch_end", 2, keys),
        ("rec", "fit_end"),
    ]


def test_extensions_run_in_the_order_given():
    log = []
    digits_trainer(train_size=32, test=False, extensions=[Recorder(log, "a"), Recorder(log, "b")]).fit(1)
    assert [name for name, *_ in log] == ["a", "b"] * (len(log) // 2)


def test_an_extension_can_stop_training():
    class StopAfterTwo:
        @hookimpl
        def dezero_epoch_end(self, trainer, epoch):
            trainer.stop_training = epoch == 2

    trainer = digits_trainer(train_size=32, test=False, extensions=[StopAfterTwo()])
    trainer.fit(10)
    assert trainer.epoch == 2


def test_fit_end_runs_even_when_training_fails():
    class Boom:
        @hookimpl
        def dezero_batch_end(self):
            raise RuntimeError("boom")

    rec = Recorder()
    with pytest.raises(RuntimeError, match="boom"):
        digits_trainer(train_size=32, test=False, extensions=[Boom(), rec]).fit(1)
    assert rec.log[-1] == ("rec", "fit_end")


def test_extensions_can_be_given_by_registered_name():
    trainer = digits_trainer(train_size=32, extensions=["EarlyStopping"])
    assert isinstance(trainer.extensions[0], EarlyStopping)


def test_unknown_extension_name_lists_the_installed_ones():
    with pytest.raises(Exception, match="no extension named 'Nope'.*ProgressBar"):
        digits_trainer(train_size=32, extensions=["Nope"])


def test_process_wide_plugins_receive_the_trainer_hooks(capsys):
    pytest.importorskip("dezero_example_plugin")
    with dezero_core.using_config("example_report", True):
        digits_trainer(train_size=32, test=False).fit(1)
    assert "train_loss=" in capsys.readouterr().out


def test_evaluate_records_no_graph_runs_in_test_mode_and_changes_nothing():
    trainer = digits_trainer(train_size=32)
    seen = []
    forward = trainer.model.forward

    def spy(x):
        seen.append((dezero_core.get_config("enable_backprop"), dezero_core.is_training()))
        return forward(x)

    trainer.model.forward = spy
    before = params(trainer.model)
    result = trainer.evaluate(trainer.test_loader)
    assert set(result) == {"loss", "accuracy"} and 0.0 <= result["accuracy"] <= 1.0
    assert set(seen) == {(False, False)}
    for name, value in params(trainer.model).items():
        np.testing.assert_array_equal(value, before[name])


def test_regression_records_loss_without_accuracy():
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    dezero_core.random.seed(0)
    model = MLP((8, 1), activation=F.tanh)
    trainer = Trainer(model, F.mean_squared_error, SGD(lr=0.1).setup(model),
                      DataLoader(Dataset(x, 2 * x), 10, seed=0))
    trainer.fit(2)
    assert sorted(trainer.history[-1]) == ["epoch", "train_loss"]


def test_labels_out_of_range_are_an_error_before_any_update():
    dezero_core.random.seed(0)
    x = np.zeros((8, 4), np.float32)
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 10])
    model = MLP((10,), in_size=4)
    trainer = Trainer(model, F.softmax_cross_entropy, SGD().setup(model), DataLoader(Dataset(x, labels), 4))
    before = params(model)
    with pytest.raises(ValueError, match=r"labels range over \[0, 10\] but the model outputs 10 class scores"):
        trainer.fit(1)
    for name, value in params(model).items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("epochs", [-1, 1.5, True])
def test_epochs_must_be_a_non_negative_integer(epochs):
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        digits_trainer(train_size=32).fit(epochs)


def test_plot_writes_a_png(tmp_path):
    trainer = digits_trainer(train_size=64)
    trainer.fit(2)
    trainer.plot(tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_before_fit_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="history is empty"):
        digits_trainer(train_size=32).plot(tmp_path / "r.png")


def test_trainer_is_registered_under_dezero_trainers():
    from dezero_core.discovery import registry

    assert registry("dezero.trainers").get("Trainer") is Trainer


def test_trainer_runs_on_a_strict_array_api_backend(tmp_path):
    pytest.importorskip("array_api_strict")
    trainer = digits_trainer(train_size=64, backend="strict")
    trainer.fit(1)
    assert type(trainer.model.l0.W.data).__module__.startswith("array_api_strict")
    trainer.save_checkpoint(tmp_path / "c")
    resumed = digits_trainer(train_size=64, backend="strict", seed=1)
    resumed.load_checkpoint(tmp_path / "c")
    assert resumed.epoch == 1 and resumed.history == trainer.history
