"""Integer or boolean data into a differentiable function: a TypeError that says how to cast."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F

INTS = np.arange(6, dtype=np.int64).reshape(2, 3)

CALLS = {
    "sin": lambda x: F.sin(x),
    "cos": lambda x: F.cos(x),
    "tanh": lambda x: F.tanh(x),
    "exp": lambda x: F.exp(x),
    "log": lambda x: F.log(x),
    "relu": lambda x: F.relu(x),
    "sigmoid": lambda x: F.sigmoid(x),
    "softmax": lambda x: F.softmax(x),
    "gelu": lambda x: F.gelu(x),
    "sqrt": lambda x: F.sqrt(x),
    "mean": lambda x: F.mean(x),
    "logsumexp": lambda x: F.logsumexp(x),
    "maximum": lambda x: F.maximum(x, 0.0),
    "softmax_cross_entropy": lambda x: F.softmax_cross_entropy(x, np.zeros(2, dtype=np.int64)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_integer_input_names_the_function_the_dtype_and_the_cast(name: str) -> None:
    with pytest.raises(TypeError) as info:
        CALLS[name](Variable(INTS))
    message = str(info.value)
    argument = "x1" if name == "maximum" else "x"
    assert message.startswith(f"{name}: {argument} has dtype int64")
    assert "astype" in message and "float32" in message


def test_integer_raw_array_is_refused_too() -> None:
    with pytest.raises(TypeError, match="relu: x has dtype int64"):
        F.relu(INTS)


def test_boolean_input_is_refused() -> None:
    with pytest.raises(TypeError, match="sigmoid: x has dtype bool"):
        F.sigmoid(Variable(INTS > 2))


def test_the_second_input_is_named_when_it_is_the_integer_one() -> None:
    with pytest.raises(TypeError, match="mean_squared_error: x1 has dtype int64"):
        F.mean_squared_error(Variable(INTS.astype(np.float32)), INTS)


def test_where_condition_must_be_boolean() -> None:
    x = Variable(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(TypeError, match="where: condition must be a boolean array"):
        F.where(np.ones((2, 3), dtype=np.float32), x, x)
