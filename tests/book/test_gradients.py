"""The book's gradient examples (steps 24-40) with the book's numbers."""
from __future__ import annotations

import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable


def sphere(x, y):
    return x ** 2 + y ** 2


def matyas(x, y):
    return 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y


def goldstein(x, y):
    return (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)) * \
        (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2))


def rosenbrock(x0, x1):
    return 100 * (x1 - x0 ** 2) ** 2 + (1 - x0) ** 2


def newton_f(x):
    return x ** 4 - 2 * x ** 2


#: step 29/33: x of every Newton iteration on x^4 - 2x^2 from x = 2
NEWTON_XS = [2.0, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978, 1.0009084519430513,
             1.0000012353089454, 1.000000000002289, 1.0]


def grads_at_one(f):
    x, y = Variable(np.array(1.0)), Variable(np.array(1.0))
    f(x, y).backward()
    return float(x.grad.data), float(y.grad.data)


def test_sphere_gradient() -> None:
    assert grads_at_one(sphere) == (2.0, 2.0)


def test_matyas_gradient() -> None:
    assert grads_at_one(matyas) == pytest.approx((0.040000000000000036, 0.040000000000000036), rel=1e-12)


def test_goldstein_price_gradient() -> None:
    assert grads_at_one(goldstein) == (-5376.0, 8064.0)


def test_rosenbrock_by_gradient_descent() -> None:
    # step 28: 1000 iterations of lr 0.001 from (0, 2)
    x0, x1 = Variable(np.array(0.0)), Variable(np.array(2.0))
    for _ in range(1000):
        y = rosenbrock(x0, x1)
        x0.cleargrad()
        x1.cleargrad()
        y.backward()
        x0.data -= 0.001 * x0.grad.data
        x1.data -= 0.001 * x1.grad.data
    assert float(x0.data) == pytest.approx(0.6837118569138317, rel=1e-12)
    assert float(x1.data) == pytest.approx(0.4659526837427042, rel=1e-12)


def test_newton_with_a_hand_written_second_derivative() -> None:
    # step 29
    x = Variable(np.array(2.0))
    xs = []
    for _ in range(len(NEWTON_XS)):
        xs.append(float(x.data))
        y = newton_f(x)
        x.cleargrad()
        y.backward()
        x.data -= x.grad.data / (12 * x.data ** 2 - 4)
    assert xs == pytest.approx(NEWTON_XS, rel=1e-15)


def test_newton_through_double_backprop() -> None:
    # step 33
    x = Variable(np.array(2.0))
    xs = []
    for _ in range(len(NEWTON_XS)):
        xs.append(float(x.data))
        y = newton_f(x)
        x.cleargrad()
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        gx2 = x.grad
        x.data -= gx.data / gx2.data
    assert xs == pytest.approx(NEWTON_XS, rel=1e-15)


def test_higher_derivatives_of_sin() -> None:
    # step 34: the 2nd, 3rd and 4th derivatives at 1
    x = Variable(np.array(1.0))
    y = F.sin(x)
    y.backward(create_graph=True)
    found = []
    for _ in range(3):
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
        found.append(float(x.grad.data))
    assert found == pytest.approx([-0.8414709848078965, -0.5403023058681398, 0.8414709848078965], rel=1e-15)


def tanh_derivatives(x: float, orders: int) -> list[float]:
    """d^n tanh/dx^n for n = 1..orders: with t = tanh x, p_{n+1}(t) = p_n'(t) (1 - t^2)."""
    poly = np.polynomial.Polynomial([0.0, 1.0])  # tanh itself
    one_minus_t2 = np.polynomial.Polynomial([1.0, 0.0, -1.0])
    values = []
    for _ in range(orders):
        poly = poly.deriv() * one_minus_t2
        values.append(poly(np.tanh(x)))
    return values


def test_higher_derivatives_of_tanh() -> None:
    # step 35: differentiate tanh six times, building the graph of each derivative
    x = Variable(np.array(1.0), name="x")
    y = F.tanh(x)
    y.backward(create_graph=True)
    found = [float(x.grad.data)]
    for _ in range(5):
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
        found.append(float(x.grad.data))
    assert found == pytest.approx(tanh_derivatives(1.0, 6), rel=1e-12)


def test_graph_of_a_higher_derivative_is_drawable() -> None:
    x = Variable(np.array(1.0), name="x")
    F.tanh(x).backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward(create_graph=True)
    import dezero.utils

    text = dezero.utils.get_dot_graph(x.grad)
    assert text.count('label="Tanh"') == 1 and 'label="x' in text


def test_sum_of_a_matrix_backward_is_ones() -> None:
    # step 39
    x = Variable(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64))
    y = F.sum(x, axis=0)
    y.backward()
    assert y.shape == (3,)
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_reshape_and_transpose_methods() -> None:
    # step 38
    x = Variable(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64))
    assert x.reshape(6).shape == (6,) and x.reshape((3, 2)).shape == (3, 2)
    assert x.transpose().shape == (3, 2) and x.T.shape == (3, 2)
    y = F.transpose(F.reshape(x, (6,)).reshape(3, 2))
    y.backward(retain_grad=True)
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_broadcast_add_sums_the_gradient_back() -> None:
    # step 40
    x0 = Variable(np.array([1.0, 2.0, 3.0]))
    x1 = Variable(np.array([10.0]))
    y = x0 + x1
    y.backward()
    np.testing.assert_array_equal(y.data, [11.0, 12.0, 13.0])
    assert float(x1.grad.data[0]) == 3.0


def test_matmul_gradient_shapes() -> None:
    # step 41
    x = Variable(np.random.randn(2, 3))
    W = Variable(np.random.randn(3, 4))
    y = F.matmul(x, W)
    y.backward()
    assert x.grad.shape == (2, 3) and W.grad.shape == (3, 4)


def test_get_item_gradient_scatters_back() -> None:
    # step 47
    x = Variable(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64))
    y = x[[0, 0, 1]]
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [[2, 2, 2], [1, 1, 1]])


def test_gradient_check_utility_accepts_a_correct_function() -> None:
    import dezero.utils

    assert dezero.utils.gradient_check(F.sigmoid, np.random.randn(3, 2))
    assert dezero.utils.gradient_check(F.matmul, np.random.randn(3, 2), np.random.randn(2, 4))
