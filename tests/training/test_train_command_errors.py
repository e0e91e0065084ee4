"""``dezero train``: bad flags named in one-line errors, checks before training, resume and Ctrl-C."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dezero_core.training import load_checkpoint
from command_runner import train

QUICK = ("--dataset", "Spiral", "--quiet")


@pytest.mark.parametrize("flag,value,message", [
    ("--lr", "nan", "argument --lr: must be a finite positive number, got nan"),
    ("--lr", "inf", "argument --lr: must be a finite positive number, got inf"),
    ("--lr", "-1", "argument --lr: must be a finite positive number, got -1"),
    ("--hidden", "0", "argument --hidden: must be comma-separated positive integers such as 128 or 64,32; got '0'"),
    ("--hidden", "-5", "argument --hidden: must be comma-separated positive integers"),
    ("--seed", "-1", "argument --seed: must be at least 0, got -1"),
    ("--checkpoint-every", "0", "argument --checkpoint-every: must be at least 1, got 0"),
    ("--epochs", "0", "argument --epochs: must be at least 1, got 0"),
])
def test_a_bad_value_is_refused_naming_its_flag(tmp_path, capsys, flag, value, message):
    assert train(flag, value, "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not os.listdir(tmp_path)  # refused before anything was done


@pytest.mark.parametrize("flag,base,choice", [("--model", "Model", "MLP"), ("--optimizer", "Optimizer", "Adam")])
def test_a_base_class_is_refused_with_the_choices(tmp_path, capsys, flag, base, choice):
    assert train(*QUICK, flag, base, "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{flag} {base} is the base class" in err and choice in err.split("choose one of:")[1]


def test_an_unwritable_out_is_found_before_training_and_named(tmp_path, capsys):
    (tmp_path / "file").write_text("in the way")
    out = tmp_path / "file" / "out"
    assert train(*QUICK, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: cannot write there (Not a directory)" in err
    assert "training" not in err and ".tmp" not in err


def test_resuming_a_finished_run_says_so_and_trains_nothing(tmp_path, capsys):
    assert train(*QUICK, "--epochs", "1", "--out", str(tmp_path)) == 0
    history = (tmp_path / "history.json").read_text()
    capsys.readouterr()
    assert train(*QUICK, "--epochs", "1", "--resume", "--out", str(tmp_path)) == 0
    captured = capsys.readouterr()
    assert "nothing to train:" in captured.err and "already holds 1 epochs and --epochs is 1" in captured.err
    assert "after" not in captured.out and (tmp_path / "history.json").read_text() == history


def test_lr_on_resume_is_applied_and_reported(tmp_path, capsys):
    assert train(*QUICK, "--epochs", "1", "--lr", "0.01", "--out", str(tmp_path)) == 0
    assert train(*QUICK, "--epochs", "2", "--resume", "--out", str(tmp_path)) == 0
    assert "learning rate 0.01 (from the checkpoint)" in capsys.readouterr().err
    assert train(*QUICK, "--epochs", "3", "--resume", "--lr", "0.05", "--out", str(tmp_path)) == 0
    assert "learning rate 0.05 (from --lr; the checkpoint had 0.01)" in capsys.readouterr().err
    assert load_checkpoint(tmp_path / "checkpoint.dzc")["optimizer"]["hyperparams"]["lr"] == 0.05


def test_resume_with_other_hidden_sizes_is_a_clear_error(tmp_path, capsys):
    assert train(*QUICK, "--epochs", "1", "--hidden", "128", "--out", str(tmp_path)) == 0
    assert train(*QUICK, "--epochs", "2", "--hidden", "64,32", "--resume", "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "checkpoint.dzc does not fit this trainer" in err and "missing (in the layer, not in the state): l2/W, l2/b" in err
    assert json.loads((tmp_path / "history.json").read_text())[-1]["epoch"] == 1


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_ctrl_c_prints_one_line_with_the_last_checkpoint_and_the_resume_command(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "dezero_core", "train", "--out", str(out), "--epochs", "500",
                             "--checkpoint-every", "5", "--quiet"], stderr=subprocess.PIPE, text=True)
    checkpoint = out / "checkpoint.dzc"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines() if line.startswith("dezero train: interrupted")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"the last checkpoint, {checkpoint}, holds epoch " in lines[0]
    assert lines[0].endswith(f"resume with dezero train --checkpoint-every 5 --epochs 500 --out {out} --resume {checkpoint}")
