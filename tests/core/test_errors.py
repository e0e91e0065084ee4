"""Bad input: errors that name the values involved and say what to do."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Function, Variable, functions as F
from dezero_core.backend import backend_names, get_backend


def test_variable_of_a_list_names_the_type_and_how_to_convert() -> None:
    with pytest.raises(TypeError, match=r"Variable.*list.*asarray"):
        Variable([1.0, 2.0])


def test_variable_of_a_python_float_names_the_type() -> None:
    with pytest.raises(TypeError, match=r"Variable.*float"):
        Variable(1.5)


def test_an_operation_on_a_string_names_the_type(put) -> None:
    with pytest.raises(TypeError, match=r"str"):
        F.add(Variable(put([1.0])), "1.0")


def test_a_scalar_with_no_array_beside_it_says_what_is_missing() -> None:
    with pytest.raises(TypeError, match=r"cannot infer a backend for the scalar 2\.0"):
        F.add(2.0, 3.0)


def test_shape_mismatch_names_the_operation_and_both_shapes(put) -> None:
    with pytest.raises(ValueError) as info:
        F.add(Variable(put(np.zeros((2, 3)))), Variable(put(np.zeros(4))))
    message = str(info.value)
    assert message.startswith("Add: ")
    assert "(2, 3)" in message and "(4,)" in message


def test_matmul_shape_mismatch_names_the_operation_and_both_shapes(put) -> None:
    with pytest.raises(ValueError) as info:
        Variable(put(np.zeros((2, 3)))) @ Variable(put(np.zeros((2, 3))))
    assert str(info.value).startswith("MatMul: ")
    assert str(info.value).count("(2, 3)") == 2


def test_an_error_inside_forward_keeps_its_type(put) -> None:
    class Broken(Function):
        def forward(self, xp, x):
            raise IndexError("no such element")

    with pytest.raises(IndexError, match=r"^Broken: no such element \(inputs: \(2,\) \S*float64\)$"):
        Broken()(Variable(put([1.0, 2.0])))


def test_a_function_without_backward_says_so(put) -> None:
    class ForwardOnly(Function):
        def forward(self, xp, x):
            return x

    y = ForwardOnly()(Variable(put([1.0])))
    with pytest.raises(NotImplementedError, match="ForwardOnly is not differentiable"):
        y.backward()


@pytest.mark.skipif("strict" not in backend_names(),
                    reason="the strict test backend is not installed: pip install -e tests/dists/dezero-strict")
def test_variables_of_two_backends_in_one_operation_name_both_and_how_to_move() -> None:
    a = Variable(np.ones(3))
    b = Variable(get_backend("strict").from_host(np.ones(3)))
    with pytest.raises(TypeError) as info:
        a + b
    message = str(info.value)
    assert message.startswith("Add: ")
    assert "numpy" in message and "strict" in message
    assert ".to(" in message
