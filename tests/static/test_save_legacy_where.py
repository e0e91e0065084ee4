"""Files saved before ``where``'s condition became an input: their ``Where`` nodes (the condition an
attribute, two inputs) still load and compute what they computed."""
from __future__ import annotations

import numpy as np

from dezero_core.backend import get_backend
from dezero_core.functions.elementwise import Where
from dezero_core.static import save


def test_a_where_saved_with_its_condition_as_an_attribute_loads_as_the_two_input_function() -> None:
    xp = get_backend("numpy").ops
    condition = np.array([[True, False, True]])
    fn = object.__new__(Where)  # as the loader makes a saved function: empty, then its state set
    save._set_state(fn, {"condition": condition})
    assert type(fn) is save.WhereOfConstantCondition
    a, b = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([10.0, 20.0, 30.0])
    y = fn.forward(xp, a, b)
    np.testing.assert_array_equal(y, [[1.0, 20.0, 3.0], [4.0, 20.0, 6.0]])
    fn.needs_grad = (True, True)
    gy = np.arange(6.0).reshape(2, 3)
    ga, gb = fn.backward(xp, (a, b), y, gy)
    np.testing.assert_array_equal(ga, [[0.0, 0.0, 2.0], [3.0, 0.0, 5.0]])
    np.testing.assert_array_equal(gb, [0.0, 5.0, 0.0])  # summed over the broadcast axis


def test_a_where_of_this_version_keeps_its_class() -> None:
    fn = object.__new__(Where)
    save._set_state(fn, {})
    assert type(fn) is Where
