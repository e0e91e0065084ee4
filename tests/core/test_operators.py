"""Variable's operators: values, reflected forms, gradients, indexing and comparisons."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F

A = np.array([[0.5, 1.5, 2.0], [1.0, 0.8, 1.2]])
B = np.array([[1.5, 0.7, 0.9], [2.0, 1.1, 0.6]])

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "truediv": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b),
}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_operator_of_two_variables_computes_the_value(op, put, host) -> None:
    ours, numpy_op = BINARY[op]
    np.testing.assert_allclose(host(ours(Variable(put(A)), Variable(put(B)))), numpy_op(A, B))


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_operator_of_two_variables_has_the_numerical_gradient(op, check_grad) -> None:
    ours = BINARY[op][0]
    check_grad(lambda a, b: F.sum(ours(a, b)), A, B)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_operator_with_a_python_scalar_on_the_left_is_reflected(op, put, host) -> None:
    ours, numpy_op = BINARY[op]
    np.testing.assert_allclose(host(ours(2.5, Variable(put(A)))), numpy_op(2.5, A))


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_operator_with_a_python_scalar_on_the_right(op, put, host) -> None:
    ours, numpy_op = BINARY[op]
    np.testing.assert_allclose(host(ours(Variable(put(A)), 2.5)), numpy_op(A, 2.5))


@pytest.mark.parametrize("op", sorted(BINARY))
def test_reflected_operator_with_a_scalar_has_the_numerical_gradient(op, check_grad) -> None:
    ours = BINARY[op][0]
    check_grad(lambda a: F.sum(ours(1.7, a)), A)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_operator_with_a_scalar_on_the_right_has_the_numerical_gradient(op, check_grad) -> None:
    ours = BINARY[op][0]
    check_grad(lambda a: F.sum(ours(a, 1.7)), A)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_ndarray_on_the_left_of_a_variable_gives_a_variable(op) -> None:
    ours, numpy_op = BINARY[op]
    y = ours(A, Variable(B))
    assert isinstance(y, Variable)
    np.testing.assert_allclose(y.data, numpy_op(A, B))


def test_ndarray_matmul_variable_gives_a_variable() -> None:
    y = A @ Variable(B.T)
    assert isinstance(y, Variable)
    np.testing.assert_allclose(y.data, A @ B.T)


def test_matmul_operator_computes_the_matrix_product(put, host) -> None:
    np.testing.assert_allclose(host(Variable(put(A)) @ Variable(put(B.T))), A @ B.T)


def test_matmul_operator_has_the_numerical_gradient(check_grad) -> None:
    check_grad(lambda a, b: F.sum(a @ b), A, B.T)


def test_negation_computes_minus_x_and_its_gradient_is_minus_one(put, host) -> None:
    x = Variable(put(A))
    y = -x
    np.testing.assert_array_equal(host(y), -A)
    F.sum(y).backward()
    np.testing.assert_array_equal(host(x.grad), -np.ones_like(A))


def test_operator_broadcasts_and_sums_the_gradient_back_to_each_shape(check_grad) -> None:
    check_grad(lambda a, b: F.sum(a * b + a), A, B[0])


def test_a_variable_used_twice_in_one_operation_gets_both_gradients(put, host) -> None:
    x = Variable(put(A))
    F.sum(x * x).backward()
    np.testing.assert_allclose(host(x.grad), 2 * A)


def test_indexing_selects_like_the_array(put, host) -> None:
    x = Variable(put(A))
    np.testing.assert_array_equal(host(x[1]), A[1])
    np.testing.assert_array_equal(host(x[:, 1:]), A[:, 1:])


def test_indexing_scatters_the_gradient_back(put, host) -> None:
    x = Variable(put(A))
    F.sum(x[:, 1:] * 3.0).backward()
    np.testing.assert_array_equal(host(x.grad), [[0.0, 3.0, 3.0], [0.0, 3.0, 3.0]])


COMPARISONS = {
    "lt": (lambda a, b: a < b, np.less),
    "le": (lambda a, b: a <= b, np.less_equal),
    "gt": (lambda a, b: a > b, np.greater),
    "ge": (lambda a, b: a >= b, np.greater_equal),
    "eq": (lambda a, b: a == b, np.equal),
    "ne": (lambda a, b: a != b, np.not_equal),
}


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_comparison_gives_a_boolean_variable(op, put, host) -> None:
    ours, numpy_op = COMPARISONS[op]
    y = ours(Variable(put(A)), Variable(put(B)))
    assert isinstance(y, Variable)
    np.testing.assert_array_equal(host(y), numpy_op(A, B))


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_comparison_with_a_scalar(op, put, host) -> None:
    ours, numpy_op = COMPARISONS[op]
    np.testing.assert_array_equal(host(ours(Variable(put(A)), 1.0)), numpy_op(A, 1.0))


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_comparison_is_not_differentiable(op, put) -> None:
    y = COMPARISONS[op][0](Variable(put(A)), Variable(put(B)))
    assert y.creator is None
    assert not y.requires_grad
