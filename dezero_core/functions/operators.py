"""Variable's operators and shape methods (``x + y``, ``x @ W``, ``x.reshape(2, 3)``, ``x.T``...).

The graph knows nothing of the functions built on it: this module, imported by the functions
package, installs on :class:`~dezero_core.graph.Variable` the methods that call them. They call the
implementations directly, not the registry's public names, so a plugin that claims ``add`` cannot
change what ``x + y`` means.
"""
from __future__ import annotations

from typing import Any

from dezero_core.functions.arithmetic import (
    add, add_scalar, div, div_scalar, mul, mul_scalar, neg, pow, power, rdiv_scalar, rpow_scalar,
    rsub_scalar, sub,
)
from dezero_core.functions.linalg import matmul
from dezero_core.functions.indexing import get_item
from dezero_core.functions.reductions import max as max_, min as min_, sum as sum_
from dezero_core.functions.shape import reshape as reshape_, transpose as transpose_
from dezero_core.graph.variable import Variable

_SCALARS = (int, float, bool)


# -- shape methods ---------------------------------------------------------------------------------
def reshape(self: Variable, *shape: Any) -> Variable:
    """``reshape((2, 3))`` or ``reshape(2, 3)``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return reshape_(self, shape)


def transpose(self: Variable, *axes: Any) -> Variable:
    """Reverse the axes, or permute them: ``transpose(1, 0, 2)`` or ``transpose((1, 0, 2))``."""
    if not axes:
        axes = None
    elif len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return transpose_(self, axes)


def T(self: Variable) -> Variable:
    """The transpose (all axes reversed)."""
    return transpose_(self)


def sum(self: Variable, axis: Any = None, keepdims: bool = False) -> Variable:
    """Sum over ``axis`` (all axes by default)."""
    return sum_(self, axis, keepdims)


def max(self: Variable, axis: Any = None, keepdims: bool = False) -> Variable:
    """The maximum over ``axis`` (all axes by default)."""
    return max_(self, axis, keepdims)


def min(self: Variable, axis: Any = None, keepdims: bool = False) -> Variable:
    """The minimum over ``axis`` (all axes by default)."""
    return min_(self, axis, keepdims)


def matmul_method(self: Variable, other: Any) -> Variable:
    """The matrix product ``self @ other`` (the book's ``x.matmul(W)``; also ``x.dot(W)``)."""
    return matmul(self, other)


# -- operators -------------------------------------------------------------------------------------
def __neg__(self: Variable) -> Variable:
    return neg(self)


def __add__(self: Variable, other: Any) -> Variable:
    return add_scalar(self, other) if isinstance(other, _SCALARS) else add(self, other)


def __radd__(self: Variable, other: Any) -> Variable:
    return add_scalar(self, other) if isinstance(other, _SCALARS) else add(other, self)


def __sub__(self: Variable, other: Any) -> Variable:
    return add_scalar(self, -other) if isinstance(other, _SCALARS) else sub(self, other)


def __rsub__(self: Variable, other: Any) -> Variable:
    return rsub_scalar(self, other) if isinstance(other, _SCALARS) else sub(other, self)


def __mul__(self: Variable, other: Any) -> Variable:
    return mul_scalar(self, other) if isinstance(other, _SCALARS) else mul(self, other)


def __rmul__(self: Variable, other: Any) -> Variable:
    return mul_scalar(self, other) if isinstance(other, _SCALARS) else mul(other, self)


def __truediv__(self: Variable, other: Any) -> Variable:
    return div_scalar(self, other) if isinstance(other, _SCALARS) else div(self, other)


def __rtruediv__(self: Variable, other: Any) -> Variable:
    return rdiv_scalar(self, other) if isinstance(other, _SCALARS) else div(other, self)


def __pow__(self: Variable, other: Any) -> Variable:
    return pow(self, other) if isinstance(other, _SCALARS) else power(self, other)


def __rpow__(self: Variable, other: Any) -> Variable:
    return rpow_scalar(self, other) if isinstance(other, _SCALARS) else power(other, self)


def __matmul__(self: Variable, other: Any) -> Variable:
    return matmul(self, other)


def __rmatmul__(self: Variable, other: Any) -> Variable:
    return matmul(other, self)


def __getitem__(self: Variable, key: Any) -> Variable:
    return get_item(self, key)


#: Variable attribute -> what it is
METHODS = {
    "reshape": reshape, "transpose": transpose, "T": property(T), "sum": sum, "max": max, "min": min,
    "matmul": matmul_method, "dot": matmul_method,
    "__neg__": __neg__, "__add__": __add__, "__radd__": __radd__, "__sub__": __sub__, "__rsub__": __rsub__,
    "__mul__": __mul__, "__rmul__": __rmul__, "__truediv__": __truediv__, "__rtruediv__": __rtruediv__,
    "__pow__": __pow__, "__rpow__": __rpow__, "__matmul__": __matmul__, "__rmatmul__": __rmatmul__,
    "__getitem__": __getitem__,
}


def install() -> None:
    """Give :class:`Variable` (and so ``Parameter``) its operators and shape methods."""
    for name, method in METHODS.items():
        if not isinstance(method, property):
            method.__qualname__ = f"Variable.{name}"
        setattr(Variable, name, method)
