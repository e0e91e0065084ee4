"""Sharded updates (``dezero_mpi.sharded``): processes of one machine share one copy of the
parameters and optimizer state and each updates its part; the result is the unsharded update's,
bit for bit, through hooks, a resume and a model that grows."""
import sys

import numpy as np
import pytest

from launch import PROGRAMS, launch

sys.path.insert(0, str(PROGRAMS))
import sharded  # noqa: E402  (the program, for its cases)


@pytest.fixture(scope="module", params=[2, 3], ids=["2-ranks", "3-ranks"])
def ranks_run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("sharded") / "results.npz"
    run = launch(request.param, ["python", str(PROGRAMS / "sharded.py"), str(out)], timeout=120)
    assert run.returncode == 0, run.stderr
    return np.load(out), run.stdout, request.param


def _assert_same(results, prefix_a, prefix_b, ranks, names=None):
    """The arrays under ``prefix_a`` equal those under ``prefix_b``: bit for bit on 2 processes,
    to float32 rounding on 3."""
    names = names or sorted(k[len(prefix_a):] for k in results.files if k.startswith(prefix_a))
    assert names
    for name in names:
        got, expected = results[prefix_a + name], results[prefix_b + name]
        if ranks == 2:
            np.testing.assert_array_equal(got, expected, err_msg=name)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("case", sorted(sharded.CASES))
def test_sharded_update_equals_the_unsharded_one(ranks_run, case):
    # bit for bit on 2 processes; on 3, 1/3 is inexact: the sharded average sums then scales, the
    # unsharded one scales then sums, a float32 rounding apart per step
    results, _, ranks = ranks_run
    for kind in ("", "-state"):
        names = sorted(k.split("/", 2)[2] for k in results.files if k.startswith(f"{case}/plain{kind}/"))
        sharded_names = sorted(k.split("/", 2)[2] for k in results.files if k.startswith(f"{case}/sharded{kind}/"))
        assert names == sharded_names and (names or (kind and case == "SGD")), f"{case}{kind}: {sharded_names}"
        if names:
            _assert_same(results, f"{case}/sharded{kind}/", f"{case}/plain{kind}/", ranks, names)
    weights = [k.split("/", 2)[2] for k in results.files if k.startswith(f"{case}/sharded/")]
    assert len(weights) == 4
    for name in weights:
        assert not np.array_equal(results[f"{case}/sharded/{name}"], results[f"initial/{name}"]), name


def test_a_resumed_run_continues_as_the_uninterrupted_one_with_parameters_shared_again(ranks_run):
    results, _, _ = ranks_run
    assert results["resumed/views"].all()  # the loaded arrays were taken into the window


def test_a_model_that_grows_keeps_its_values_through_new_buckets(ranks_run):
    results, _, _ = ranks_run
    np.testing.assert_array_equal(results["grown/l0.W-after"], results["grown/l0.W-before"])
    np.testing.assert_array_equal(results["grown/extra"], np.zeros(3))  # 1 - 0.5 * d(sum(2 extra))
    assert results["grown/views"].all()


def test_a_dropped_sharded_optimizer_leaves_private_arrays_for_the_next_one(ranks_run):
    # its Adam, wrapped again unsharded, trains on as one never sharded: every process updating a
    # parameter or moment still shared would apply each step once per process
    results, _, ranks = ranks_run
    assert results["dropped/registered-before"].all()
    assert not results["dropped/registered-after"].any()  # gradients: new arrays again
    assert results["dropped/same-on-every-rank"]
    assert len([k for k in results.files if k.startswith("dropped/weights/")]) == 4
    _assert_same(results, "dropped/weights/", "dropped/reference/", ranks)


def test_shard_update_true_where_it_cannot_work_says_why(ranks_run):
    _, stdout, _ = ranks_run
    assert ("refused: shard_update=True, but Normalized is not elementwise, so it cannot update part of a "
            "parameter (on rank 0); pass shard_update=None to shard only where it works, False never to") in stdout
    assert ("refused: shard_update=True, but Doubled has an update_param() of its own, which a sharded update "
            "(update_one on parts of parameters) would bypass (on rank 0)") in stdout


@pytest.mark.parametrize("env,why", [
    ({"DEZERO_MPI_TRANSPORT": "host"},
     "the host transport was asked for (DEZERO_MPI_TRANSPORT or transport=), not shared memory"),
    ({"DEZERO_BACKEND": "strict"}, "the parameters are array_api_strict arrays; shared memory holds numpy arrays only"),
], ids=["host-transport", "strict-backend"])
def test_shard_update_true_where_shared_memory_cannot_hold_the_parameters_says_why(tmp_path, env, why):
    script = tmp_path / "refused.py"
    script.write_text(
        "import dezero_core, dezero_mpi\n"
        "from dezero_core import functions as F\n"
        "from dezero_core.models import MLP\n"
        "from dezero_core.optimizers import SGD\n"
        "comm = dezero_mpi.create_communicator()\n"
        "model = MLP((3,), in_size=2)\n"
        "F.sum(model(dezero_core.get_backend().xp.ones((1, 2)))).backward()\n"
        "comm.bcast_data(model)\n"
        "opt = dezero_mpi.create_multi_node_optimizer(SGD(), comm, shard_update=True).setup(model)\n"
        "try:\n"
        "    opt.update()\n"
        "except dezero_mpi.ShardingUnavailable as exc:\n"
        "    print(comm.rank, exc)\n")
    run = launch(2, ["python", str(script)], timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    assert f"shard_update=True, but {why} (on rank 0); pass shard_update=None" in run.stdout
    assert run.stdout.count("shard_update=True, but") == 2  # on every rank: none is left waiting


def test_a_sharded_trainer_resumed_from_its_checkpoint_ends_as_an_uninterrupted_unsharded_run(tmp_path):
    # rank 0 saves the optimizer's state, whose parts the other process updated, from the shared window
    program = str(PROGRAMS / "trainer_run.py")
    halted, plain = tmp_path / "halted", tmp_path / "plain"
    for folder in (halted, plain):
        folder.mkdir()
    for args in ([str(halted), "--epochs", "2", "--shard"], [str(halted), "--epochs", "4", "--shard", "--resume"],
                 [str(plain), "--epochs", "4", "--checkpoint-every", "1000"]):
        run = launch(2, ["python", program, *args], timeout=60)
        assert run.returncode == 0, run.stderr
    resumed, uninterrupted, other_rank = (np.load(f) for f in (halted / "weights.npz", plain / "weights.npz",
                                                                 halted / "weights.1.npz"))
    assert sorted(resumed.files) == sorted(uninterrupted.files) and resumed.files
    for name in resumed.files:
        np.testing.assert_array_equal(resumed[name], uninterrupted[name], err_msg=name)
        np.testing.assert_array_equal(other_rank[name], resumed[name], err_msg=name)


def test_gradients_held_across_a_second_backward_keep_their_values(ranks_run):
    # a gradient buffer takes one gradient per update: the second micro-batch's gradients are new
    # arrays, so the first ones held by hand are not overwritten
    results, _, ranks = ranks_run
    _assert_same(results, "held/None/", "held/False/", ranks)


def test_a_frozen_layer_gets_no_optimizer_state_as_unsharded(ranks_run):
    results, _, _ = ranks_run
    names = list(results["frozen/None/state-names"])
    assert names == list(results["frozen/False/state-names"])
    assert names and not any(name.startswith("l0/") for name in names)


def test_float32_and_float64_parameters_train_in_two_windows_as_unsharded(ranks_run):
    results, _, ranks = ranks_run
    assert int(results["mixed/None/windows"]) == 2 and int(results["mixed/False/windows"]) == 0
    names = sorted(k[len("mixed/None/"):] for k in results.files
                   if k.startswith("mixed/None/") and "/" in k[len("mixed/None/"):])
    _assert_same(results, "mixed/None/", "mixed/False/", ranks, names)
    assert results["mixed/None/private-after-close"].all()  # close() freed the windows, copies stay


def test_an_optimizer_with_its_own_update_param_is_not_sharded(ranks_run):
    results, stdout, _ = ranks_run
    assert not results["doubled/None/sharded"]  # None: updated unsharded, through its update_param
    assert "Doubled has an update_param() of its own" in stdout  # True: refused
