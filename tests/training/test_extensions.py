"""The built-in extensions: progress bar, plot report, checkpoint, early stopping, LR schedules."""
import io
import math

import pytest

from dezero_core.optimizers import SGD, Adam, RMSProp
from dezero_core.training import (
    Checkpoint, CosineAnnealingLR, EarlyStopping, ExponentialLR, PlotReport, ProgressBar, StepLR,
)
from dezero_core.training.extensions.schedules import rate_attribute
from training_setup import digits_trainer


class FakeTrainer:
    def __init__(self, optimizer=None):
        self.stop_training = False
        self.optimizer = optimizer
        self.saved = []

    def save_checkpoint(self, path, keep_previous=False):
        self.saved.append(path)


def feed(stopper, values, key="test_loss"):
    trainer = FakeTrainer()
    for epoch, value in enumerate(values, 1):
        stopper.dezero_epoch_end(trainer, epoch, {key: value})
        if trainer.stop_training:
            return epoch
    return None


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    assert feed(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.91, 0.5]) == 4


def test_early_stopping_needs_improvement_by_more_than_min_delta():
    assert feed(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.95]) == 2


def test_early_stopping_maximises_accuracies():
    stopper = EarlyStopping("test_accuracy", patience=1)
    assert stopper.mode == "max"
    assert feed(stopper, [0.5, 0.6, 0.55], key="test_accuracy") == 3


def test_early_stopping_on_a_missing_key_lists_the_record():
    with pytest.raises(KeyError, match="lacks; it has: test_loss"):
        feed(EarlyStopping("val_loss"), [1.0])


def test_early_stopping_state_round_trip():
    a = EarlyStopping(patience=3)
    feed(a, [1.0, 2.0])
    b = EarlyStopping(patience=3)
    b.load_state_dict(a.state_dict())
    assert (b.best, b.wait) == (1.0, 1)


def test_early_stopping_ends_fit():
    trainer = digits_trainer(train_size=64, extensions=[EarlyStopping("train_loss", patience=1, min_delta=100.0)])
    trainer.fit(10)
    assert trainer.epoch == 2


def factors(schedule, base, epochs, optimizer):
    trainer = FakeTrainer(optimizer)
    out = []
    for epoch in range(1, epochs + 1):
        schedule.dezero_epoch_start(trainer, epoch)
        out.append(getattr(optimizer, rate_attribute(optimizer)) / base)
    return out


def test_step_lr_divides_every_step_size_epochs():
    assert factors(StepLR(2, 0.5), 0.1, 5, SGD(lr=0.1)) == pytest.approx([1, 1, 0.5, 0.5, 0.25])


def test_exponential_lr():
    assert factors(ExponentialLR(0.9), 1.0, 3, SGD(lr=1.0)) == pytest.approx([1, 0.9, 0.81])


def test_cosine_annealing_goes_from_base_to_eta_min():
    f = factors(CosineAnnealingLR(3, eta_min=0.0), 0.2, 4, Adam(lr=0.2))
    assert f == pytest.approx([1.0, 0.5, 0.0, 0.0])


def test_schedule_keeps_its_base_rate_across_a_resume():
    a = StepLR(1, 0.5)
    opt = SGD(lr=1.0)
    factors(a, 1.0, 3, opt)  # opt.lr is now 0.25
    b = StepLR(1, 0.5)
    b.load_state_dict(a.state_dict())
    b.dezero_epoch_start(FakeTrainer(opt), 4)
    assert opt.lr == pytest.approx(0.125)


def test_rate_attribute_is_lr_not_rmsprops_decay():
    assert rate_attribute(RMSProp()) == "lr" and rate_attribute(Adam()) == "lr"


def test_rate_attribute_of_a_book_style_adam_is_alpha():
    class BookAdam:
        alpha = 0.001

        @property
        def lr(self):
            return self.alpha * 0.5

    assert rate_attribute(BookAdam()) == "alpha"


def test_schedule_changes_the_rate_during_fit():
    trainer = digits_trainer(train_size=32, test=False, extensions=[StepLR(1, 0.1)])
    trainer.fit(3)
    assert trainer.optimizer.lr == pytest.approx(0.01 * 0.01)


def test_checkpoint_saves_every_n_batches_and_every_epoch():
    trainer = FakeTrainer()
    ckpt = Checkpoint("p", every_epochs=2, every_iterations=3)
    for i in range(1, 8):
        ckpt.dezero_batch_end(trainer, i)
    for epoch in (1, 2):
        ckpt.dezero_epoch_end(trainer, epoch)
    assert trainer.saved == ["p", "p", "p"]  # batches 3 and 6, epoch 2


@pytest.mark.parametrize("kw", [{"every_epochs": 0}, {"every_iterations": -2}])
def test_checkpoint_intervals_must_be_positive(kw):
    with pytest.raises(ValueError, match="must be a positive integer or None"):
        Checkpoint("p", **kw)


def test_plot_report_draws_when_fit_ends(tmp_path):
    digits_trainer(train_size=64, extensions=[PlotReport(tmp_path / "r.png")]).fit(2)
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


def test_progress_bar_prints_one_line_per_epoch_with_the_metrics():
    out = io.StringIO()
    trainer = digits_trainer(train_size=64, extensions=[ProgressBar(file=out)])
    trainer.fit(2)
    lines = [line for line in out.getvalue().replace("\r", "\n").splitlines() if line.startswith("epoch ")
             and "test" in line and "(" in line]
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"]
    last = trainer.history[-1]
    assert f"test loss {last['test_loss']:.4f} acc {last['test_accuracy']:.4f}" in lines[-1]
    assert not math.isnan(last["train_loss"])


def test_every_extension_is_registered_under_its_class_name():
    from dezero_core import training
    from dezero_core.discovery import registry

    names = ["Checkpoint", "CosineAnnealingLR", "EarlyStopping", "ExponentialLR", "PlotReport", "ProgressBar", "StepLR"]
    assert [n for n in registry("dezero.extensions").names() if n in names] == names
    for name in names:
        assert registry("dezero.extensions").get(name) is getattr(training, name)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("file_type, bar_drawn", [(io.StringIO, False), (_Terminal, True)])
def test_progress_bar_is_drawn_on_a_terminal_only(file_type, bar_drawn):
    out = file_type()
    digits_trainer(train_size=64, extensions=[ProgressBar(file=out, min_interval=0.0)]).fit(1)
    text = out.getvalue()
    assert ("batch/s" in text) == bar_drawn  # the bar's rate field
    assert "epoch 1/1  train loss" in text  # the epoch line, either way
