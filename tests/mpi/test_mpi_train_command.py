"""``mpiexec -n 2 dezero train --mpi`` trains the model ``dezero train`` trains, in two processes
(issue 12: the same test accuracy, ±1 pt; here, the same run to float32 rounding)."""
import json
import subprocess
import sys
from pathlib import Path

from launch import launch

DEZERO = str(Path(sys.executable).parent / "dezero")  # the console script of this environment
ARGS = ["train", "--quiet", "--epochs", "8"]


def test_two_processes_reach_the_single_process_accuracy(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    single = subprocess.run([DEZERO, *ARGS, "--out", str(one)], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "OPENBLAS_NUM_THREADS": "1"})
    assert single.returncode == 0, single.stderr
    run = launch(2, [DEZERO, *ARGS, "--mpi", "--out", str(two)], timeout=120)
    assert run.returncode == 0, run.stderr
    # rank 0 alone reports and writes
    assert run.stdout.count("test accuracy") == 1 and run.stderr.count("in 2 processes") == 1, run.stderr
    assert {p.name for p in two.iterdir()} >= {"history.json", "report.png", "checkpoint.dzc"}
    a, b = (json.loads((d / "history.json").read_text()) for d in (one, two))
    assert len(a) == len(b) == 8
    assert abs(a[-1]["test_accuracy"] - b[-1]["test_accuracy"]) <= 0.01
    for ra, rb in zip(a, b):  # every process took its share of the single process's batches
        for key in ("train_loss", "test_loss"):
            assert abs(ra[key] - rb[key]) <= 1e-5 * abs(ra[key]), (ra, rb)


def test_a_global_batch_that_does_not_divide_over_the_processes_is_an_error(tmp_path):
    run = launch(2, [DEZERO, *ARGS, "--mpi", "--batch-size", "33", "--out", str(tmp_path)], timeout=60)
    assert run.returncode != 0
    assert "a global batch of 33 samples does not divide evenly over 2 processes: use a multiple of 2" in run.stderr
