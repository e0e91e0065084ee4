"""``dezero train``: the main job, its options, its outputs and its errors."""
import json

import pytest

from command_runner import train
from dezero_core.training import command, load_checkpoint


def test_default_run_reaches_95_percent_on_the_digits_and_writes_its_outputs(tmp_path, capsys):
    assert train("--out", str(tmp_path), "--quiet") == 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert history[-1]["test_accuracy"] >= 0.95
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"
    assert load_checkpoint(tmp_path / "checkpoint.dzc")["epoch"] == command.DEFAULTS["epochs"]
    assert "test accuracy" in capsys.readouterr().out


def test_resume_continues_up_to_the_new_epoch_count(tmp_path):
    assert train("--out", str(tmp_path), "--epochs", "2", "--quiet") == 0
    assert train("--out", str(tmp_path), "--epochs", "3", "--resume", "--quiet") == 0
    assert [r["epoch"] for r in json.loads((tmp_path / "history.json").read_text())] == [1, 2, 3]


def test_resume_from_a_damaged_checkpoint_fails_cleanly(tmp_path, capsys):
    (tmp_path / "checkpoint.dzc").write_bytes(b"DEZERO-CHECKPOINT 1\n" + b"\0" * 50)
    assert train("--out", str(tmp_path), "--resume", "--quiet") == 2
    assert "checkpoint.dzc is truncated or damaged" in capsys.readouterr().err


def test_unknown_dataset_lists_the_installed_ones(tmp_path, capsys):
    assert train("--dataset", "Digitz", "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "no dataset named 'Digitz'" in err and "Did you mean: Digits" in err and "MNIST" in err


def test_unknown_model_lists_the_installed_ones(tmp_path, capsys):
    assert train("--model", "Perceptron", "--out", str(tmp_path)) == 2
    assert "no model named 'Perceptron'" in capsys.readouterr().err


def test_unknown_optimizer_lists_the_installed_ones(tmp_path, capsys):
    assert train("--optimizer", "Adamm", "--out", str(tmp_path)) == 2
    assert "Adam" in capsys.readouterr().err


@pytest.mark.parametrize("size", ["0", "-3"])
def test_batch_size_must_be_positive(tmp_path, capsys, size):
    assert train("--batch-size", size, "--out", str(tmp_path)) == 2
    assert f"argument --batch-size: must be at least 1, got {size}" in capsys.readouterr().err


def test_float_labels_train_a_regression_with_mean_squared_error(tmp_path, capsys):
    assert train("--dataset", "SinCurve", "--out", str(tmp_path), "--epochs", "1", "--quiet") == 0
    assert "test loss" in capsys.readouterr().out


def test_bad_hidden_sizes_are_an_error(tmp_path, capsys):
    assert train("--dataset", "Spiral", "--hidden", "a,b", "--out", str(tmp_path)) == 2
    assert "argument --hidden: must be comma-separated positive integers such as 128 or 64,32; got 'a,b'" \
        in capsys.readouterr().err


def test_the_dezero_command_dispatches_to_train(tmp_path):
    from dezero_core.cli import main

    assert main(["train", "--dataset", "Spiral", "--epochs", "1", "--out", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "checkpoint.dzc").exists()


def test_offline_download_is_a_clean_error_saying_where_to_put_the_files(tmp_path, monkeypatch, capsys):
    from dezero_datasets import MNIST
    from dezero_datasets.download import RemoteFile

    monkeypatch.setenv("DEZERO_DATA_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(MNIST, "system_dirs", ())
    monkeypatch.setattr(MNIST, "files", {name: RemoteFile(name, spec.sha256, ("http://127.0.0.1:9/" + name,))
                                         for name, spec in MNIST.files.items()})
    assert train("--dataset", "MNIST", "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and "put it at" in err and str(tmp_path / "cache" / "mnist") in err
