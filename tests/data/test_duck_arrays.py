"""Arrays that do not name their namespace (cupy 14's) are still arrays to the data helpers.

The fake type below stands for such a library: it has a shape and a dtype but no
``__array_namespace__``, and an installed backend (numpy's, for the test) owns it.
"""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core.backend import selection
from dezero_core.backend.selection import get_backend
from dezero_core.data import arrays
from dezero_core.data.arrays import is_array, namespace
from dezero_core.training.checkpoint import load_checkpoint, save_checkpoint


class Duck:
    """An array without ``__array_namespace__``."""

    def __init__(self, values: list[float]) -> None:
        self.values = np.asarray(values, dtype=np.float32)
        self.shape = self.values.shape
        self.dtype = self.values.dtype


@pytest.fixture
def numpy_owns_ducks(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = get_backend("numpy")
    monkeypatch.setattr(arrays, "_NOT_ARRAYS", set())
    monkeypatch.setitem(selection._by_type, Duck, backend)
    monkeypatch.setattr(type(backend), "to_host", lambda self, a: a.values if isinstance(a, Duck) else a)


def test_an_array_of_a_backend_is_an_array_without_naming_its_namespace(numpy_owns_ducks: None) -> None:
    duck = Duck([1.0, 2.0])
    assert not hasattr(duck, "__array_namespace__")
    assert is_array(duck)
    assert namespace(duck) is get_backend("numpy").xp


def test_checkpoints_copy_such_arrays_to_the_host(numpy_owns_ducks: None, tmp_path) -> None:
    save_checkpoint(tmp_path / "c", {"w": Duck([1.0, 2.0]), "epoch": 3})
    state = load_checkpoint(tmp_path / "c")
    assert isinstance(state["w"], np.ndarray) and state["w"].tolist() == [1.0, 2.0]
    assert state["epoch"] == 3


def test_objects_of_no_backend_are_not_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrays, "_NOT_ARRAYS", set())
    assert not is_array([1, 2, 3])
    assert not is_array(Duck([1.0]))  # a shape and a dtype, but no installed backend owns it
    assert Duck in arrays._NOT_ARRAYS  # the backends are not asked again for the next sample
    assert is_array(np.zeros(2))
