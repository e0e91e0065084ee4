"""The book's ``dezero.core_simple`` (steps 23-32): the same names as :mod:`dezero.core`.

The book's simple core has first-order gradients only, kept as plain arrays: its steps update with
``x.data -= lr * x.grad``, and a ``Function``'s ``backward(gy)`` receives arrays. Here the graph and
the engine are dezero_core's (no second core); what differs is the surface:

- ``Variable`` is dezero_core's Variable whose ``grad`` reads as the array (``None`` before a
  backward), so ``x.grad`` prints ``2.0`` and combines with arrays;
- ``Function`` subclasses get their gradients as arrays in ``backward`` (the full core's get
  Variables, for higher-order gradients).
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend.ops import DifferentiableOps
from dezero_core.graph.variable import Variable as _CoreVariable

from dezero import core as _core
from dezero.core import (
    Add, Config, Div, Mul, Neg, Pow, Sub, add, as_array, as_variable, div, mul, neg, no_grad, pow, rdiv,
    rsub, setup_variable, sub, using_config,
)

__all__ = [
    "Add", "Config", "Div", "Function", "Mul", "Neg", "Pow", "Sub", "Variable", "add", "as_array", "as_variable",
    "div", "mul", "neg", "no_grad", "pow", "rdiv", "rsub", "setup_variable", "sub", "using_config",
]


class Variable(_CoreVariable):
    """The simple core's Variable: ``grad`` is the gradient's array (or None), as in the book's steps
    23-32. Everything else is dezero_core's Variable (operators, ``backward``, ``cleargrad``)."""

    __slots__ = ()

    @property  # type: ignore[override]
    def grad(self) -> Any:
        """The gradient as an array (None until a backward reaches this variable)."""
        g = self._grad
        return g.data if isinstance(g, _CoreVariable) else g

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = value


class Function(_core.Function):
    """The simple core's Function: ``forward(self, *xs)`` on arrays and ``backward(self, *gys)`` on
    arrays too, reading ``self.inputs``/``self.outputs`` as in the book."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_book_backward" in cls.__dict__:
            cls.backward = Function._simple_backward_adapter

    def _simple_backward_adapter(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        if isinstance(xp, DifferentiableOps):  # backward(create_graph=True): the full core's way
            return self._backward_adapter(xp, xs, y, gy)
        gys = gy if isinstance(gy, tuple) else (gy,)
        with using_config("enable_backprop", False):
            gxs = self._book_backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        return tuple(_core._gradient(g, False) for g in gxs)
