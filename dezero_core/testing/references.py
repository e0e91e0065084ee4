"""Independent numpy references for the built-in functions, written apart from their implementation.

``REFERENCES[name](np, *args, **kwargs)`` takes host (numpy) arrays and returns the expected output
(an array or a tuple of arrays). For a function without an entry here, the suite compares a
non-numpy backend against the numpy backend's result instead.
"""
from __future__ import annotations

from typing import Any, Callable


def sum_to(np: Any, x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` summed over the axes that broadcasting ``shape`` to ``x.shape`` added or stretched."""
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and x.shape[i] != 1:
            x = x.sum(axis=i, keepdims=True)
    return x


REFERENCES: dict[str, Callable[..., Any]] = {
    "add": lambda np, a, b: np.add(a, b),
    "sub": lambda np, a, b: np.subtract(a, b),
    "mul": lambda np, a, b: np.multiply(a, b),
    "div": lambda np, a, b: np.divide(a, b),
    "neg": lambda np, x: np.negative(x),
    "power": lambda np, a, b: np.power(a, b),
    "add_scalar": lambda np, x, c: x + c,
    "mul_scalar": lambda np, x, c: x * c,
    "div_scalar": lambda np, x, c: x / c,
    "rsub_scalar": lambda np, x, c: c - x,
    "rdiv_scalar": lambda np, x, c: c / x,
    "pow": lambda np, x, c: x ** c,
    "rpow_scalar": lambda np, x, c: np.exp(x * np.log(c)),
    "sin": lambda np, x: np.sin(x),
    "cos": lambda np, x: np.cos(x),
    "tanh": lambda np, x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
    "exp": lambda np, x: np.exp(x),
    "log": lambda np, x: np.log(x),
    "matmul": lambda np, a, b: np.einsum("...ij,...jk->...ik", a, b),
    "sum": lambda np, x, axis=None, keepdims=False: np.add.reduce(
        x, axis=tuple(range(x.ndim)) if axis is None else axis, keepdims=keepdims),
    "reshape": lambda np, x, shape: np.reshape(x, shape),
    "transpose": lambda np, x, axes=None: np.transpose(x, axes),
    "permute_dims": lambda np, x, axes: np.transpose(x, axes),
    "matrix_transpose": lambda np, x: np.swapaxes(x, -1, -2),
    "broadcast_to": lambda np, x, shape: np.broadcast_to(x, shape),
    "sum_to": sum_to,
    "get_item": lambda np, x, key: x[key],
}
