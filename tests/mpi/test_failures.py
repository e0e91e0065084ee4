"""A failing rank ends the whole job quickly, never a hang, and the checkpoint survives (issue 12).

Each launch has a time limit; the limits on the failing runs are the issue's 30 s.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from launch import PROGRAMS, launch, mpiexec

PROGRAM = str(PROGRAMS / "trainer_run.py")


@pytest.mark.parametrize("shard", [[], ["--shard"]], ids=["unsharded", "sharded"])
def test_a_rank_that_raises_ends_the_job_with_its_traceback(tmp_path, shard):
    # sharded: the other process waits in a fence of the shared window, and is ended all the same
    run = launch(2, ["python", PROGRAM, str(tmp_path), "--raise-on-rank", "1", *shard], timeout=30)
    assert run.returncode != 0
    assert "[rank 1 of 2] aborting the job:" in run.stderr
    assert "Traceback (most recent call last)" in run.stderr
    assert "RuntimeError: injected failure on rank 1 at batch 7" in run.stderr
    assert not (tmp_path / "weights.npz").exists()


def test_a_rank_killed_mid_training_ends_the_job_and_the_run_resumes_from_its_checkpoint(tmp_path):
    killed, resumed, uninterrupted = (tmp_path / name for name in ("killed", "resumed", "uninterrupted"))
    for folder in (killed, uninterrupted):
        folder.mkdir()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(PROGRAMS))
    proc = subprocess.Popen([mpiexec(), "-n", "2", sys.executable, PROGRAM, str(killed), "--slow", "--epochs", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not (killed / "ready").exists():  # rank 0 is in epoch 2, checkpointing every batch
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate(timeout=5)
            time.sleep(0.01)
        os.kill(int((killed / "pid.0").read_text()), signal.SIGKILL)  # rank 0: the one writing checkpoints
        killed_at = time.monotonic()
        out, err = proc.communicate(timeout=30)
        assert time.monotonic() - killed_at < 30
        assert "signal 9" in out + err  # mpiexec names what ended the job
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode != 0
    assert not (killed / "weights.npz").exists()  # it really died mid-training

    # the last checkpoint loads on both ranks, each with its own data position, and the run goes on
    # to end exactly where one never interrupted ends
    run = launch(2, ["python", PROGRAM, str(killed), "--resume", "--epochs", "4", "--checkpoint-every", "1000"], timeout=60)
    assert run.returncode == 0, run.stderr
    run = launch(2, ["python", PROGRAM, str(uninterrupted), "--epochs", "4", "--checkpoint-every", "1000"], timeout=60)
    assert run.returncode == 0, run.stderr
    a, b = np.load(killed / "weights.npz"), np.load(uninterrupted / "weights.npz")
    assert sorted(a.files) == sorted(b.files) and a.files
    for name in a.files:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
