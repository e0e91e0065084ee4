"""Gradients averaged over 2 and 3 processes, through shared memory and through MPI_Allreduce, equal
the mean computed here, including where a column block of the shared-memory table splits a
parameter, a parameter has a gradient on one process only, or on none."""
import sys

import numpy as np
import pytest

from launch import PROGRAMS, launch

sys.path.insert(0, str(PROGRAMS))
import average_grads  # noqa: E402  (the program, imported for its gradients)


@pytest.fixture(scope="module")
def averaged(tmp_path_factory):
    """``{(processes, transport): the averaged gradients rank 0 wrote}``."""
    results = {}
    for n in (2, 3):
        for transport in ("shared-memory", "host"):
            out = tmp_path_factory.mktemp("average") / "grads.npz"
            run = launch(n, ["python", str(PROGRAMS / "average_grads.py"), str(out)], timeout=60,
                         env={"DEZERO_MPI_TRANSPORT": transport})
            assert run.returncode == 0, run.stderr
            results[n, transport] = dict(np.load(out))
    return results


@pytest.mark.parametrize("transport", ["shared-memory", "host"])
@pytest.mark.parametrize("n", [2, 3])
def test_every_process_gets_the_mean_over_the_processes(averaged, n, transport):
    got = averaged[n, transport]
    assert {str(got["transport/0"]), str(got["transport/1"])} == {transport}
    names = ["a", "b", "c", "d", "only0"]  # idle: a gradient nowhere, so none after averaging
    assert sorted(key for key in got if not key.startswith("transport")) == sorted(
        f"{rank}/{round_}/{name}" for rank in range(n) for round_ in range(average_grads.ROUNDS) for name in names)
    for round_ in range(average_grads.ROUNDS):
        for name in names:
            grads = [average_grads.gradient(rank, name, round_) for rank in range(n)]
            expected = sum(np.float64(0) if g is None else g.astype(np.float64) for g in grads) / n
            for rank in range(n):
                value = got[f"{rank}/{round_}/{name}"]
                assert value.dtype == average_grads.PARAMS[name][1] and value.shape == expected.shape
                if n == 2:  # halves of exactly representable values: no rounding at all
                    np.testing.assert_array_equal(value, expected, err_msg=f"{rank}/{round_}/{name}")
                else:
                    np.testing.assert_allclose(value, expected, rtol=2 * np.finfo(value.dtype).eps,
                                               err_msg=f"{rank}/{round_}/{name}")


def test_shared_memory_and_mpi_agree_bit_for_bit_on_two_processes(averaged):
    shared, host = averaged[2, "shared-memory"], averaged[2, "host"]
    assert shared.keys() == host.keys()
    for key in shared:
        if not key.startswith("transport"):
            np.testing.assert_array_equal(shared[key], host[key], err_msg=key)
