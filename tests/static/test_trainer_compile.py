"""Trainer(compile=True) and ``dezero train --compile`` train exactly as eager steps do."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.data import DataLoader, Dataset
from dezero_core.models import MLP
from dezero_core.optimizers import Adam
from dezero_core.static import GraphBreakWarning
from dezero_core.training import Trainer


def _fit(compile: bool) -> tuple[list, dict, Trainer]:
    dz.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((70, 6)).astype(np.float32)
    t = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    model = MLP((16, 3), activation=F.relu)
    trainer = Trainer(model, F.softmax_cross_entropy, Adam(0.01).setup(model), DataLoader(Dataset(x, t), 16, seed=0),
                      DataLoader(Dataset(x[:20], t[:20]), 20, shuffle=False), compile=compile)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GraphBreakWarning)  # a break would silently train eagerly
        trainer.fit(3)
    return trainer.history, {n: p.data.copy() for n, p in model.named_params()}, trainer


def test_a_compiled_trainer_gives_the_eager_history_and_weights() -> None:
    eager_history, eager_params, _ = _fit(False)
    history, params, trainer = _fit(True)  # 70 samples in batches of 16: the last, smaller batch retraces
    assert [type(e).__name__ for e in trainer._compiled_step._cache.values()] == ["Compiled", "Compiled"]
    assert history == eager_history
    for name, value in eager_params.items():
        np.testing.assert_array_equal(params[name], value, err_msg=name)


def test_dezero_train_compile_gives_the_eager_history(tmp_path) -> None:
    from dezero_core.cli import main

    args = ["train", "--dataset", "Spiral", "--epochs", "2", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "eager")]) == 0
    assert main([*args, "--compile", "--out", str(tmp_path / "compiled")]) == 0
    eager = json.loads((tmp_path / "eager" / "history.json").read_text())
    compiled = json.loads((tmp_path / "compiled" / "history.json").read_text())
    assert [r["train_loss"] for r in compiled] == [r["train_loss"] for r in eager]


def test_a_compiled_trainer_refuses_bad_labels_before_any_update() -> None:
    dz.random.seed(0)
    x = np.zeros((8, 4), np.float32)
    model = MLP((10,), in_size=4)
    trainer = Trainer(model, F.softmax_cross_entropy, Adam().setup(model),
                      DataLoader(Dataset(x, np.array([0, 1, 2, 3, 4, 5, 6, 10])), 8), compile=True)
    before = model.l0.W.data.copy()
    with pytest.raises(ValueError, match=r"label 10 .* out of range for 10 classes"):
        trainer.fit(1)
    np.testing.assert_array_equal(model.l0.W.data, before)
