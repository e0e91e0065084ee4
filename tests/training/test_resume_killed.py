"""A run killed in the middle of an epoch, resumed from its checkpoint, ends with exactly the
parameters of an uninterrupted run with the same seed (separate processes, as in real life)."""
import os
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent('''
    import os, sys
    sys.path.insert(0, {tests!r})
    from dezero_core.hookspecs import hookimpl
    from dezero_core.training import Checkpoint
    from training_setup import digits_trainer

    mode, out = sys.argv[1], sys.argv[2]

    class KillAt:
        """A test hook: die like a killed process (no cleanup, no flush) at one batch."""

        @hookimpl
        def dezero_batch_end(self, epoch, iteration):
            if (epoch, iteration) == (2, 30):
                os._exit(17)

    extensions = [Checkpoint(os.path.join(out, "ckpt"), every_iterations=8)]
    if mode == "killed":
        extensions.append(KillAt())
    trainer = digits_trainer(seed=11, extensions=extensions)
    if mode == "resume":
        trainer.load_checkpoint(os.path.join(out, "ckpt"))
        print(trainer.epoch, trainer.iteration)
    trainer.fit(3)
    trainer.model.save_weights(os.path.join(out, mode + ".npz"))
''')


def run(script, mode, out):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(script), mode, str(out)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_killed_mid_epoch_then_resumed_equals_uninterrupted(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(tests=os.path.dirname(__file__)))
    killed = run(script, "killed", tmp_path)
    assert killed.returncode == 17, killed.stderr
    assert not (tmp_path / "killed.npz").exists()
    resumed = run(script, "resume", tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split() == ["1", "24"]  # the last save before the kill: epoch 2, batch 24
    full = run(script, "full", tmp_path)
    assert full.returncode == 0, full.stderr
    from dezero_core.serialization import load_arrays

    a, b = load_arrays(tmp_path / "resume.npz"), load_arrays(tmp_path / "full.npz")
    assert sorted(a) == sorted(b) and a
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
