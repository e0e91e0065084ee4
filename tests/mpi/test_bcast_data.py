"""``comm.bcast_data(model)``: models that differ between ranks are a clear error on every rank,
never a hang or parameters copied into the wrong places; training a model never broadcast is refused;
``comm.mean`` weighs each rank by its samples."""
import pytest

from launch import PROGRAMS, launch


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("collectives")
    run = launch(2, ["python", str(PROGRAMS / "collectives.py"), str(out)], timeout=60)
    assert run.returncode == 0, run.stderr
    per_rank = [dict(line.split(": ", 1) for line in (out / f"rank{r}.txt").read_text().splitlines())
                for r in range(2)]
    assert per_rank[0] == per_rank[1]  # every rank raised the same error: none is left waiting
    return per_rank[0]


def test_a_shape_that_differs_names_the_rank_and_the_parameters(results):
    assert results["shape"].startswith("ParameterMismatchError: ")
    assert "rank 1: l0/W is (5, 8) float32 instead of (5, 7) float32, l0/b is (8,) float32 instead of (7,)" \
        in results["shape"]


def test_a_dtype_that_differs_is_an_error(results):
    assert "rank 1: l0/W is (5, 7) float32 instead of (5, 7) float64" in results["dtype"]


def test_parameters_a_lazy_layer_has_not_created_are_missing_with_the_fix(results):
    assert "rank 1: l0/W is missing, l0/b is missing" in results["lazy"]
    assert "run one forward pass on each before bcast_data" in results["lazy"]


def test_an_update_before_bcast_data_is_refused(results):
    assert results["no-bcast"].startswith("RuntimeError: the model's parameters were not broadcast from rank 0")


def test_the_same_model_everywhere_broadcasts(results):
    assert results["same"] == "ok"


def test_mean_weighs_each_rank_by_its_samples(results):
    # rank 0: 1 sample, loss 1, accuracy 1; rank 1: 2 samples, loss 2, accuracy 1/2
    assert results["mean"] == repr([("accuracy", 2 / 3), ("loss", 5 / 3)])
