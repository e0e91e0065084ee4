"""N processes with per-rank batch B/N end with the weights of one process with batch B (issue 12).

On numpy the gradients are averaged in a shared-memory window (the processes share this machine),
or, forced, through MPI_Allreduce on the arrays themselves; on the array-api-strict test backend
(arrays that are not host memory to MPI) through the host copies of the backend protocol.
"""
import sys

import numpy as np
import pytest

import dezero_core
from launch import PROGRAMS, launch

sys.path.insert(0, str(PROGRAMS))
import equivalence  # noqa: E402  (the program, imported for its single-process reference)


@pytest.fixture(scope="module", params=[("numpy", "shared-memory"), ("numpy", "host"), ("strict", "host")],
                ids="-".join)
def two_ranks(request, tmp_path_factory):
    backend, transport = request.param
    out = tmp_path_factory.mktemp("equivalence") / "weights.npz"
    run = launch(2, ["python", str(PROGRAMS / "equivalence.py"), str(out)], timeout=60,
                 env={"DEZERO_BACKEND": backend, "DEZERO_MPI_TRANSPORT": transport})
    assert run.returncode == 0, run.stderr
    return backend, np.load(out)


@pytest.mark.parametrize("optimizer,dtype", equivalence.CASES)
def test_two_ranks_with_half_batches_end_with_the_weights_of_one_process(two_ranks, optimizer, dtype):
    backend, weights = two_ranks
    with dezero_core.using_backend(backend):
        reference = equivalence.train(optimizer, dtype)  # one process, whole batches, no MPI at all
    initial = equivalence.MLP((7, equivalence.CLASSES), in_size=equivalence.FEATURES, dtype=dtype)
    assert sorted(reference) == sorted(initial.state_dict())
    for name, expected in reference.items():
        got = weights[f"{optimizer}/{dtype}/{name}"]
        assert got.dtype == expected.dtype == np.dtype(dtype)
        if dtype == "float64":
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=name)
        else:  # the two sum the batch's gradients in another order: a few float32 roundings apart
            np.testing.assert_allclose(got, expected, rtol=0, atol=8 * np.finfo(np.float32).eps, err_msg=name)
