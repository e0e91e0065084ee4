"""``Trainer(compile=True, communicator=...)`` steps eagerly: the gradients' allreduce is not part of
a traced graph, and replayed steps would update each rank with its own gradients (the ranks drifting
apart silently)."""
import numpy as np

from launch import PROGRAMS, launch

PROGRAM = str(PROGRAMS / "trainer_run.py")


def test_compile_with_a_communicator_trains_as_eager_steps_do_on_every_rank(tmp_path):
    runs = {}
    for mode in ("eager", "compile"):
        out = tmp_path / mode
        out.mkdir()
        flags = ["--compile"] if mode == "compile" else []
        run = launch(2, ["python", PROGRAM, str(out), "--epochs", "2", "--checkpoint-every", "1000", *flags],
                     timeout=60)
        assert run.returncode == 0, run.stderr
        runs[mode] = [np.load(out / name) for name in ("weights.npz", "weights.1.npz")]
    reference = runs["eager"][0]
    for weights in runs["eager"][1:] + runs["compile"]:
        assert sorted(weights.files) == sorted(reference.files)
        for name in reference.files:
            np.testing.assert_array_equal(weights[name], reference[name], err_msg=name)
