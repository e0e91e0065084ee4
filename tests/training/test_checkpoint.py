"""Checkpoint files: round trip, damage detection, atomic writes, resuming a Trainer in process."""
import errno
import os
import pickle

import numpy as np
import pytest

import dezero_core.serialization
from dezero_core.hookspecs import hookimpl
from dezero_core.training import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from dezero_core.training.checkpoint import MAGIC
from training_setup import digits_trainer, params

STATE = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "nested": [1, 2.5, ("a", None)],
         "rng": np.random.default_rng(0).bit_generator.state}


def test_round_trip_keeps_arrays_and_structure(tmp_path):
    save_checkpoint(tmp_path / "c", STATE)
    back = load_checkpoint(tmp_path / "c")
    np.testing.assert_array_equal(back["w"], STATE["w"])
    assert back["w"].dtype == np.float32
    assert back["nested"] == STATE["nested"] and back["rng"] == STATE["rng"]


def test_truncated_file_is_a_clear_error(tmp_path):
    save_checkpoint(tmp_path / "c", STATE)
    blob = (tmp_path / "c").read_bytes()
    (tmp_path / "c").write_bytes(blob[:-10])
    with pytest.raises(CheckpointError, match=r"c is truncated: its header describes 24 bytes of data, the file holds 14"):
        load_checkpoint(tmp_path / "c")


def test_flipped_byte_is_detected_by_the_checksum(tmp_path):
    save_checkpoint(tmp_path / "c", STATE)
    blob = bytearray((tmp_path / "c").read_bytes())
    blob[-5] ^= 0xFF
    (tmp_path / "c").write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match="damaged: the SHA-256 of its arrays and state does not match"):
        load_checkpoint(tmp_path / "c")


def test_other_files_are_not_checkpoints(tmp_path):
    (tmp_path / "c").write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(CheckpointError, match="is truncated or not a safetensors file"):
        load_checkpoint(tmp_path / "c")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "absent")


def test_a_checkpoint_is_a_safetensors_file_with_the_state_as_json(tmp_path):
    from safetensors.numpy import load_file, safe_open

    save_checkpoint(tmp_path / "c", STATE)
    np.testing.assert_array_equal(load_file(tmp_path / "c")["w"], STATE["w"])
    with safe_open(tmp_path / "c", "np") as f:
        meta = f.metadata()
    assert meta["format"] == "dezero-checkpoint" and meta["version"] == "2"
    assert '"nested": [1, 2.5, {"__tuple__": ["a", null]}]' in meta["state"]


def test_a_checkpoint_of_format_1_cannot_make_the_loader_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    write_format_1(tmp_path / "c", {"x": Evil()})
    with pytest.raises(CheckpointError, match="refers to posix.system, which a checkpoint may not contain"):
        load_checkpoint(tmp_path / "c")


def test_a_checkpoint_of_format_1_still_loads(tmp_path):
    write_format_1(tmp_path / "c", STATE)
    back = load_checkpoint(tmp_path / "c")
    np.testing.assert_array_equal(back["w"], STATE["w"])
    assert back["w"].dtype == np.float32 and back["w"].flags.writeable
    assert back["nested"] == STATE["nested"] and back["rng"] == STATE["rng"]


def write_format_1(path, state):
    """A checkpoint as dezero-core wrote them before format 2: a pickle behind a length and SHA-256."""
    import hashlib

    payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    path.write_bytes(MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest() + payload)


def full_disk(monkeypatch):
    """Make every checkpoint write fail half-way with ENOSPC."""
    real = dezero_core.serialization.atomic_write

    def atomic_write(path, write):
        def failing(f):
            f.write(b"partial")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        real(path, failing)

    monkeypatch.setattr("dezero_core.training.checkpoint.atomic_write", atomic_write)


def test_full_disk_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    save_checkpoint(tmp_path / "c", STATE)
    good = (tmp_path / "c").read_bytes()
    full_disk(monkeypatch)
    with pytest.raises(CheckpointError, match="No space left on device.*previous checkpoint .* is untouched"):
        save_checkpoint(tmp_path / "c", {"w": np.zeros(3)})
    assert (tmp_path / "c").read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["c"]  # no temporary file left behind


def test_full_disk_during_training_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    trainer = digits_trainer(train_size=64, test=False, extensions=[Checkpoint(tmp_path / "c")])
    trainer.fit(1)
    good = (tmp_path / "c").read_bytes()
    full_disk(monkeypatch)
    with pytest.raises(CheckpointError, match="untouched"):
        trainer.fit(2)
    assert (tmp_path / "c").read_bytes() == good
    assert load_checkpoint(tmp_path / "c")["epoch"] == 1


def test_resume_in_process_matches_an_uninterrupted_run(tmp_path):
    full = digits_trainer(seed=3)
    full.fit(3)

    first = digits_trainer(seed=3, extensions=[Checkpoint(tmp_path / "c", every_iterations=10)])
    first.fit(2)  # the last save was at batch 40 of epoch 2, then the epoch-end save
    resumed = digits_trainer(seed=99)  # another seed: everything must come from the checkpoint
    resumed.load_checkpoint(tmp_path / "c")
    assert resumed.epoch == 2 and resumed.iteration == 0
    resumed.fit(3)
    for name, value in params(full.model).items():
        np.testing.assert_array_equal(params(resumed.model)[name], value)
    assert resumed.history == full.history


def test_resume_from_the_middle_of_an_epoch_matches(tmp_path):
    full = digits_trainer(seed=4)
    full.fit(2)

    class SaveAt:
        @hookimpl
        def dezero_batch_end(self, trainer, epoch, iteration):
            if (epoch, iteration) == (2, 17):
                trainer.save_checkpoint(tmp_path / "mid")

    digits_trainer(seed=4, extensions=[SaveAt()]).fit(2)
    resumed = digits_trainer(seed=5)
    resumed.load_checkpoint(tmp_path / "mid")
    assert (resumed.epoch, resumed.iteration) == (1, 17)
    resumed.fit(2)
    for name, value in params(full.model).items():
        np.testing.assert_array_equal(params(resumed.model)[name], value)
    assert resumed.history == full.history


def test_resume_restores_the_random_state_that_dropout_draws_from(tmp_path):
    from dezero_core import functions as F
    from dezero_core.layers import Layer

    class DropoutMLP(Layer):
        def __init__(self, mlp):
            super().__init__()
            self.mlp = mlp

        def forward(self, x):
            return self.mlp(F.dropout(x, 0.3))

    def trainer(seed, extensions=()):
        t = digits_trainer(seed=seed, test=False, extensions=extensions)
        t.model = DropoutMLP(t.model)
        t.optimizer.setup(t.model)
        return t

    full = trainer(6)
    full.fit(2)

    class SaveAt:
        @hookimpl
        def dezero_batch_end(self, trainer, epoch, iteration):
            if (epoch, iteration) == (1, 20):
                trainer.save_checkpoint(tmp_path / "mid")

    trainer(6, [SaveAt()]).fit(1)
    resumed = trainer(7)
    resumed.load_checkpoint(tmp_path / "mid")
    resumed.fit(2)
    for name, value in params(full.model).items():
        np.testing.assert_array_equal(params(resumed.model)[name], value)


def test_loading_a_damaged_checkpoint_changes_nothing(tmp_path):
    trainer = digits_trainer(train_size=64, extensions=[Checkpoint(tmp_path / "c")])
    trainer.fit(1)
    (tmp_path / "c").write_bytes((tmp_path / "c").read_bytes()[:100])
    fresh = digits_trainer(train_size=64, seed=1)
    before = params(fresh.model)
    with pytest.raises(CheckpointError):
        fresh.load_checkpoint(tmp_path / "c")
    assert fresh.epoch == 0
    for name, value in params(fresh.model).items():
        np.testing.assert_array_equal(value, before[name])


def test_the_checkpoint_before_the_newest_is_kept_and_named_when_the_newest_is_damaged(tmp_path):
    trainer = digits_trainer(train_size=64, test=False, extensions=[Checkpoint(tmp_path / "c")])
    trainer.fit(2)
    assert load_checkpoint(tmp_path / "c.prev")["epoch"] == 1
    (tmp_path / "c").write_bytes((tmp_path / "c").read_bytes()[:-1])
    with pytest.raises(CheckpointError, match=r"the previous checkpoint .*c\.prev is untouched: resume from it"):
        load_checkpoint(tmp_path / "c")
    resumed = digits_trainer(train_size=64, test=False, seed=1)
    resumed.load_checkpoint(tmp_path / "c.prev")
    assert resumed.epoch == 1


def test_keep_previous_off_writes_a_single_file(tmp_path):
    save_checkpoint(tmp_path / "c", STATE)
    save_checkpoint(tmp_path / "c", STATE)
    assert sorted(os.listdir(tmp_path)) == ["c"]
