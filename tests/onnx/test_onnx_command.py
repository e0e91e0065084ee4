"""``dezero train`` then ``dezero export``: the file, run in onnxruntime on the Digits test set, gives
the trained model's accuracy to the last sample (the very same predictions)."""
from __future__ import annotations

import json

import numpy as np
from dezero_core.cli import main

from onnx_checks import eager, run_onnxruntime


def test_train_then_export_gives_the_same_test_accuracy_in_onnxruntime(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--epochs", "2", "--hidden", "32", "--out", str(out), "--quiet"]) == 0
    onnx_file = tmp_path / "digits.onnx"
    assert main(["export", str(out / "checkpoint.dzc"), "-o", str(onnx_file)]) == 0
    assert "wrote" in capsys.readouterr().out

    from dezero_datasets import Digits

    images, labels = (np.asarray(a) for a in Digits(train=False)[:])
    predicted = np.argmax(run_onnxruntime(onnx_file, images)[0], axis=1)
    history = json.loads((out / "history.json").read_text())
    # the trainer's accuracy is a float32 mean: compare counts of correct samples
    assert int(np.sum(predicted == labels)) == round(history[-1]["test_accuracy"] * len(labels))
    assert np.array_equal(predicted, np.argmax(eager(_trained_model(out / "checkpoint.dzc"), images)[0], axis=1))


def _trained_model(path):
    from dezero_core.training.checkpoint import load_checkpoint
    from dezero_core.training.command import build_model, run_config

    state = load_checkpoint(path)
    model = build_model(run_config(state))
    model.load_state_dict(state["model"])
    return model


def test_export_of_a_checkpoint_without_configuration_says_so(tmp_path, capsys) -> None:
    from dezero_core.training.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "old.dzc", {"model": {}, "extensions": {}})
    assert main(["export", str(tmp_path / "old.dzc"), "-o", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "records no run configuration" in err and "dezero_onnx.export" in err
    assert not (tmp_path / "m.onnx").exists()


def test_export_of_a_missing_checkpoint_is_a_one_line_error(tmp_path, capsys) -> None:
    assert main(["export", str(tmp_path / "nothing.dzc")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_dezero_lists_the_plugin_subcommand(capsys) -> None:
    assert main([]) == 2
    assert "export the model of a 'dezero train' checkpoint as an ONNX file" in capsys.readouterr().out


def test_export_of_a_checkpoint_with_a_damaged_configuration_names_the_fields(tmp_path, capsys) -> None:
    # a missing input shape was a KeyError traceback, an unknown dtype an AttributeError from numpy
    from dezero_core.training.checkpoint import save_checkpoint

    config = {"model": "MLP", "hidden": "8", "dataset": "Digits", "n_out": 3, "input_dtype": "nothing"}
    save_checkpoint(tmp_path / "forged.dzc", {"model": {}, "extensions": {"3:RunConfig": config}})
    assert main(["export", str(tmp_path / "forged.dzc"), "-o", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "run configuration is damaged: input_shape='(missing)', input_dtype='nothing'" in err
    assert not (tmp_path / "m.onnx").exists()
