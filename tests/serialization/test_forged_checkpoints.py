"""A forged checkpoint is a clear error, never a crash: each load runs in a subprocess, so that a
SIGSEGV fails the test instead of killing pytest."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def forged(tmp_path: Path) -> Path:
    sys.path.insert(0, str(HERE))
    try:
        from forge import forged_checkpoint
    finally:
        sys.path.remove(str(HERE))
    path = tmp_path / "forged.dzc"
    path.write_bytes(forged_checkpoint())
    return path


def test_load_checkpoint_refuses_a_record_dtype_with_an_object_field(forged: Path) -> None:
    result = run_python(f"""
        from dezero_core.training import CheckpointError, load_checkpoint
        try:
            state = load_checkpoint({str(forged)!r})
        except CheckpointError as exc:
            print("refused:", exc)
        else:
            print(repr(state["model"]["l0/W"]))  # where numpy follows the forged pointer
        """, forged.parent)
    assert result.returncode == 0, f"the loader crashed (exit {result.returncode}): {result.stderr[-2000:]}"
    assert "refused:" in result.stdout and "forged.dzc holds an array of dtype 'V8' with fields" in result.stdout


def test_trainer_load_checkpoint_refuses_it_and_keeps_the_model(forged: Path) -> None:
    result = run_python(f"""
        import numpy as np
        from dezero_core import functions as F
        from dezero_core.models import MLP
        from dezero_core.optimizers import Adam
        from dezero_core.training import CheckpointError, Trainer
        model = MLP((4, 2), in_size=3)
        before = model.l0.W.data.copy()
        trainer = Trainer(model, F.softmax_cross_entropy, Adam().setup(model), [])
        try:
            trainer.load_checkpoint({str(forged)!r})
        except CheckpointError as exc:
            print("refused:", exc)
        print("unchanged:", np.array_equal(model.l0.W.data, before), trainer.epoch)
        """, forged.parent)
    assert result.returncode == 0, f"the loader crashed (exit {result.returncode}): {result.stderr[-2000:]}"
    assert "refused:" in result.stdout and "unchanged: True 0" in result.stdout


def test_dezero_train_resume_refuses_it(forged: Path) -> None:
    result = run_python(f"""
        import sys
        from dezero_core.cli import main
        sys.exit(main(["train", "--resume", {str(forged)!r}, "--out", "out", "--epochs", "1", "--quiet"]))
        """, forged.parent)
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert "forged.dzc holds an array of dtype 'V8' with fields" in result.stderr
