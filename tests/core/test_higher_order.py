"""Higher-order gradients: ``backward(create_graph=True)`` records the backward pass itself."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dezero_core import Variable, functions as F


def derivatives(f, x: Variable, order: int) -> list[Variable]:
    """The first ``order`` derivatives of ``f`` at ``x``, each differentiated from the previous."""
    out = []
    g = f(x)
    for _ in range(order):
        x.cleargrad()
        g.backward(create_graph=True)
        g = x.grad
        out.append(g)
    return out


def test_gradient_under_create_graph_is_differentiable(put) -> None:
    x = Variable(put(2.0))
    (x ** 3).backward(create_graph=True)
    assert x.grad.creator is not None


def test_gradient_without_create_graph_is_a_constant(put) -> None:
    x = Variable(put(2.0))
    (x ** 3).backward()
    assert x.grad.creator is None


def test_polynomial_derivatives_up_to_the_third(put, host) -> None:
    # y = x^4 - 2x^2: y' = 4x^3 - 4x, y'' = 12x^2 - 4, y''' = 24x; at x = 2: 24, 44, 48
    x = Variable(put(2.0))
    got = [float(host(g)) for g in derivatives(lambda v: v ** 4 - 2 * v ** 2, x, 3)]
    assert got == [24.0, 44.0, 48.0]


def test_sine_derivatives_cycle_through_cos_minus_sin_minus_cos(put, host) -> None:
    x = Variable(put(0.7))
    got = [float(host(g)) for g in derivatives(F.sin, x, 3)]
    np.testing.assert_allclose(got, [math.cos(0.7), -math.sin(0.7), -math.cos(0.7)], rtol=1e-12)


def test_tanh_second_derivative(put, host) -> None:
    # tanh'' = -2 tanh (1 - tanh^2)
    x = Variable(put(0.3))
    t = math.tanh(0.3)
    second = derivatives(F.tanh, x, 2)[1]
    assert float(host(second)) == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_exp_of_a_product_third_derivative(put, host) -> None:
    # d^3/dx^3 exp(2x) = 8 exp(2x)
    x = Variable(put(0.4))
    third = derivatives(lambda v: F.exp(v * 2.0), x, 3)[2]
    assert float(host(third)) == pytest.approx(8 * math.exp(0.8), rel=1e-12)


def test_quotient_second_derivative(put, host) -> None:
    # d^2/dx^2 1/x = 2/x^3
    x = Variable(put(1.5))
    second = derivatives(lambda v: 1.0 / v, x, 2)[1]
    assert float(host(second)) == pytest.approx(2 / 1.5 ** 3, rel=1e-12)


def test_second_derivative_through_a_matrix_product_is_elementwise_exact(put, host) -> None:
    # f(x) = sum((x @ w)^2): the gradient is 2 (x @ w) @ w^T, whose gradient (summed) is
    # d/dx sum(2 x w w^T) = 2 * (row sums of w w^T) in every row
    w = np.array([[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]])
    x = Variable(put(np.ones((2, 3))))
    F.sum((x @ Variable(put(w))) ** 2).backward(create_graph=True)
    g = x.grad
    x.cleargrad()
    F.sum(g).backward()
    expected = np.tile(2 * (w @ w.T).sum(axis=1), (2, 1))
    np.testing.assert_allclose(host(x.grad), expected, rtol=1e-12)


def test_newton_method_finds_the_minimum_of_a_quartic(put, host) -> None:
    # the book's step 33: y = x^4 - 2x^2 from x = 2 reaches its minimum x = 1 in 7 iterations
    x = Variable(put(2.0))
    for _ in range(7):
        first, second = derivatives(lambda v: v ** 4 - 2 * v ** 2, x, 2)
        x.data = x.data - first.data / second.data
    assert float(host(x)) == pytest.approx(1.0, abs=1e-10)
