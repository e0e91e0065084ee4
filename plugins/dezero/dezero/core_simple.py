"""The book's ``dezero.core_simple`` (steps 23-32): the same names as :mod:`dezero.core`.

The book's simple core lacks higher-order gradients and ``Parameter``; here it is the full core, so
code written against either runs.
"""
from dezero.core import (
    Add, Config, Div, Function, Mul, Neg, Pow, Sub, Variable, add, as_array, as_variable, div, mul, neg,
    no_grad, pow, rdiv, rsub, setup_variable, sub, using_config,
)

__all__ = [
    "Add", "Config", "Div", "Function", "Mul", "Neg", "Pow", "Sub", "Variable", "add", "as_array", "as_variable",
    "div", "mul", "neg", "no_grad", "pow", "rdiv", "rsub", "setup_variable", "sub", "using_config",
]
