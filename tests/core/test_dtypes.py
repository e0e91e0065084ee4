"""dtype preservation: float32 in gives float32 out and float32 gradients; scalars never promote."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F

X = np.array([[0.5, 1.5, 2.0], [1.0, 0.8, 1.2]])

#: every core operation, with Python scalars on either side where it takes one
OPERATIONS = {
    "add scalar": lambda x: x + 1.5,
    "radd scalar": lambda x: 1.5 + x,
    "sub scalar": lambda x: x - 1.5,
    "rsub scalar": lambda x: 1.5 - x,
    "mul scalar": lambda x: x * 1.5,
    "rmul scalar": lambda x: 1.5 * x,
    "div scalar": lambda x: x / 1.5,
    "rdiv scalar": lambda x: 1.5 / x,
    "pow scalar": lambda x: x ** 1.5,
    "pow int": lambda x: x ** 2,
    "rpow scalar": lambda x: 1.5 ** x,
    "neg": lambda x: -x,
    "add": lambda x: x + x,
    "add with a scalar constant": lambda x: F.add(x, 1.5),
    "mul": lambda x: x * x,
    "div": lambda x: x / (x + 1.0),
    "power": lambda x: x ** x,
    "sin": F.sin,
    "cos": F.cos,
    "tanh": F.tanh,
    "exp": F.exp,
    "log": F.log,
    "matmul": lambda x: x @ x.T,
    "sum": lambda x: x.sum(axis=0),
    "reshape": lambda x: x.reshape(3, 2),
    "transpose": lambda x: x.T,
    "broadcast_to": lambda x: F.broadcast_to(x[0], (4, 3)),
    "sum_to": lambda x: F.sum_to(x, (1, 3)),
    "get_item": lambda x: x[:, 1],
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_float32_input_gives_float32_output(name, put, host) -> None:
    y = OPERATIONS[name](Variable(put(X, np.float32)))
    assert host(y).dtype == np.float32


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_float32_input_gets_a_float32_gradient(name, put, host) -> None:
    x = Variable(put(X, np.float32))
    F.sum(OPERATIONS[name](x)).backward()
    assert host(x.grad).dtype == np.float32


@pytest.mark.parametrize("name", ["mul", "rdiv scalar", "pow scalar", "sin", "matmul"])
def test_float32_input_gets_float32_second_order_gradients(name, put, host) -> None:
    x = Variable(put(X, np.float32))
    F.sum(OPERATIONS[name](x)).backward(create_graph=True)
    g = x.grad
    x.cleargrad()
    F.sum(g * g).backward()
    assert host(x.grad).dtype == np.float32


def test_numpy_float64_scalar_does_not_promote_float32() -> None:
    x = Variable(X.astype(np.float32))
    y = x * np.float64(1.5)  # a float subclass: kept as a Python float, which numpy does not promote
    assert y.dtype == np.float32


def test_numpy_float32_scalar_keeps_its_value_in_a_scalar_function() -> None:
    x = Variable(X.astype(np.float32))
    np.testing.assert_allclose(F.mul_scalar(x, np.float32(0.5)).data, X * 0.5, rtol=1e-6)


def test_a_numpy_integer_exponent_becomes_a_python_int(put) -> None:
    y = F.pow(Variable(put(X)), np.int64(3))
    assert type(y.creator.c) is int and y.creator.c == 3


def test_float64_input_stays_float64(put, host) -> None:
    x = Variable(put(X))
    F.sum(F.sin(x) * 2.0).backward()
    assert host(x.grad).dtype == np.float64
