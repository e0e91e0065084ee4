"""Functions written as in the book (steps 1-9 and 33): ``forward`` on arrays, ``backward`` on
Variables, subclassing ``dezero.Function``, including double backprop through them."""
from __future__ import annotations

import numpy as np
import pytest

import dezero.functions as F
from dezero import Function, Variable, as_array


class Square(Function):
    """Step 1-9's Square: the backward reads its input as ``self.input.data``."""

    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        x = self.input.data
        return 2 * x * gy


class Exp(Function):
    """Step 1-9's Exp."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        x = self.input.data
        return np.exp(x) * gy


class SquareV(Function):
    """Step 33's Square: the backward works on Variables, so it can be differentiated again."""

    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        x, = self.inputs
        return 2 * x * gy


class Sin(Function):
    """Step 27's Sin, the backward through the book's own cos."""

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * F.cos(x)


class SplitSum(Function):
    """Two inputs, two outputs: (a + b, a - b)."""

    def forward(self, a, b):
        return a + b, a - b

    def backward(self, gs, gd):
        gs = 0 if gs is None else gs
        gd = 0 if gd is None else gd
        return gs + gd, gs - gd


def numerical_diff(f, x, eps=1e-4):
    """Step 4's central difference."""
    y0 = f(Variable(as_array(x.data - eps)))
    y1 = f(Variable(as_array(x.data + eps)))
    return (y1.data - y0.data) / (2 * eps)


def test_square_exp_square_gives_the_books_gradient() -> None:
    # step 9: y = (exp(x^2))^2 at x = 0.5
    x = Variable(np.array(0.5))
    y = Square()(Exp()(Square()(x)))
    y.backward()
    assert float(x.grad.data) == pytest.approx(3.297442541400256, rel=1e-15)


def test_square_exp_square_matches_the_numerical_derivative() -> None:
    def f(x):
        return Square()(Exp()(Square()(x)))

    x = Variable(np.array(0.5))
    f(x).backward()
    assert float(x.grad.data) == pytest.approx(float(numerical_diff(f, x)), rel=1e-7)


def test_output_of_a_book_function_is_a_variable_even_for_numpy_scalars() -> None:
    y = Square()(Variable(np.array(3.0)))
    assert isinstance(y.data, np.ndarray) and float(y.data) == 9.0


def test_inputs_and_outputs_are_kept_as_in_the_book() -> None:
    x = Variable(np.array(2.0))
    f = SquareV()
    y = f(x)
    assert f.inputs[0] is x
    assert f.outputs[0]() is y
    assert y.creator is f


def test_double_backprop_through_a_book_function() -> None:
    # step 36: y = x^2, z = (dy/dx)^3 + y, dz/dx at x = 2 is 24 x^5 + 2x = 100
    x = Variable(np.array(2.0))
    y = SquareV()(x)
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    z = gx ** 3 + y
    z.backward()
    assert float(x.grad.data) == 100.0


def test_second_derivative_of_a_book_function() -> None:
    x = Variable(np.array(1.0))
    y = Sin()(x)
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward()
    assert float(x.grad.data) == pytest.approx(-np.sin(1.0), rel=1e-15)


def test_first_backward_of_a_book_function_records_no_graph() -> None:
    x = Variable(np.array(1.0))
    Sin()(x).backward()
    assert x.grad.creator is None


def test_book_function_with_two_inputs_and_two_outputs() -> None:
    a, b = Variable(np.array(3.0)), Variable(np.array(1.0))
    s, d = SplitSum()(a, b)
    (s * 2 + d * 5).backward()
    assert (float(a.grad.data), float(b.grad.data)) == (7.0, -3.0)


def test_book_function_mixes_with_dezero_functions() -> None:
    x = Variable(np.array([1.0, 2.0]))
    y = F.sum(F.tanh(SquareV()(x)))
    y.backward()
    t = np.tanh(np.array([1.0, 4.0]))
    np.testing.assert_allclose(x.grad.data, (1 - t ** 2) * 2 * np.array([1.0, 2.0]))
