"""The selected backend is where new arrays live: ``as_array`` results, parameters of layers whose
sizes are known, and ``DataLoader`` batches (an explicit ``backend=`` or ``to()`` wins); a lazy layer
creates its parameters where its first input lives. Optimizer row blocks are the backend's choice
(``blocked_updates``), not a list of names.

The strict test backend plays the selected backend, through ``using_backend`` (the selection's
innermost level), so that nothing process-wide changes.
"""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import as_array, using_backend
from dezero_core.backend import backend_names, backend_of, get_backend
from dezero_core.data import DataLoader, Dataset
from dezero_core.layers import Linear
from dezero_core.optimizers import blocks

pytestmark = pytest.mark.skipif("strict" not in backend_names(),
                                reason="needs a second backend installed (dezero-strict-backend)")

X = np.arange(8.0).reshape(4, 2)
T = np.array([0, 1, 1, 0])


def test_as_array_makes_an_array_of_the_selected_backend() -> None:
    with using_backend("strict"):
        a = as_array([[1.0, 2.0]])
    assert backend_of(a).name == "strict"
    np.testing.assert_array_equal(get_backend("strict").to_host(a), [[1.0, 2.0]])


def test_a_layer_of_known_sizes_creates_its_parameters_on_the_selected_backend() -> None:
    with using_backend("strict"):
        layer = Linear(4, in_size=3)
    assert layer.W.backend.name == "strict" and layer.b.backend.name == "strict"


def test_a_lazy_layer_creates_its_parameters_where_its_first_input_lives() -> None:
    layer = Linear(4)
    with using_backend("numpy"):
        layer(get_backend("strict").from_host(np.ones((2, 3), np.float32)))
    assert layer.W.backend.name == "strict"


def test_the_loader_delivers_batches_of_a_numpy_dataset_on_the_selected_backend() -> None:
    loader = DataLoader(Dataset(X, T), batch_size=2, shuffle=False)
    with using_backend("strict"):
        x, t = next(loader)
    strict = get_backend("strict")
    assert backend_of(x) is strict and backend_of(t) is strict
    np.testing.assert_array_equal(strict.to_host(x), X[:2])
    np.testing.assert_array_equal(strict.to_host(t), T[:2])


def test_batches_follow_the_selection_at_each_batch() -> None:
    loader = DataLoader(Dataset(X, T), batch_size=2, shuffle=False)
    with using_backend("strict"):
        first, _ = next(loader)
    with using_backend("numpy"):
        second, _ = next(loader)
    assert backend_of(first).name == "strict" and backend_of(second).name == "numpy"


@pytest.mark.parametrize("how", ["argument", "to"])
def test_an_explicit_loader_backend_wins_over_the_selection(how: str) -> None:
    if how == "argument":
        loader = DataLoader(Dataset(X, T), batch_size=2, backend="numpy")
    else:
        loader = DataLoader(Dataset(X, T), batch_size=2).to("numpy")
    with using_backend("strict"):
        x, t = next(loader)
    assert backend_of(x).name == "numpy" and backend_of(t).name == "numpy"


def test_row_blocks_are_the_backends_choice_not_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    numpy = get_backend("numpy")
    big = np.zeros((1024, 1024), np.float32)  # well above MIN_BLOCKED_ELEMENTS
    monkeypatch.setattr(blocks, "_blocks_by_type_and_shape", {})
    assert numpy.blocked_updates and blocks.blocks_of(big) is not None
    monkeypatch.setattr(blocks, "_blocks_by_type_and_shape", {})
    monkeypatch.setattr(numpy, "blocked_updates", False)  # what a GPU backend says
    assert blocks.blocks_of(big) is None
