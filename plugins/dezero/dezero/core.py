"""The book's ``dezero.core``: Variable, Function, Config and the arithmetic, mapped onto dezero_core.

``Variable`` and ``Parameter`` *are* dezero_core's classes, so book code and core code share graphs.
``Function`` is an adapter: a book subclass writes ``forward(self, *arrays)`` and
``backward(self, *gys)`` on Variables (reading ``self.inputs`` and ``self.outputs``), and the adapter
serves dezero_core's protocol with them, including ``backward(create_graph=True)``.
"""
from __future__ import annotations

from abc import ABCMeta
from typing import Any

import numpy as np

from dezero_core import Parameter, Variable, no_grad, test_mode, using_config
from dezero_core import functions as _F
from dezero_core.backend.ops import DifferentiableOps
from dezero_core.config import ENABLE_BACKPROP, TRAIN
from dezero_core.functions.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from dezero_core.graph.function import Function as _CoreFunction

__all__ = [
    "Add", "Config", "Div", "Function", "Mul", "Neg", "Parameter", "Pow", "Sub", "Variable", "add", "array_types",
    "as_array", "as_variable", "div", "mul", "neg", "no_grad", "pow", "rdiv", "rsub", "setup_variable", "sub",
    "test_mode", "using_config",
]


class _ConfigMeta(type):
    """Class-level attributes backed by dezero_core's per-thread, per-context flags."""

    @property
    def enable_backprop(cls) -> bool:
        return ENABLE_BACKPROP.get()

    @enable_backprop.setter
    def enable_backprop(cls, value: bool) -> None:
        ENABLE_BACKPROP.set(bool(value))

    @property
    def train(cls) -> bool:
        return TRAIN.get()

    @train.setter
    def train(cls, value: bool) -> None:
        TRAIN.set(bool(value))


class Config(metaclass=_ConfigMeta):
    """The book's ``Config``: ``Config.enable_backprop`` and ``Config.train``, readable and settable.

    Unlike the book's, the values live in context variables: setting one affects only the current
    thread or async task. Prefer ``using_config(name, value)``, which restores the old value.
    """


def as_variable(obj: Any) -> Variable:
    """``obj`` if it is a Variable, else a new Variable around the array ``obj`` (with a gradient, as
    in the book: dezero_core's ``as_variable`` makes a constant)."""
    return obj if isinstance(obj, Variable) else Variable(obj)


def as_array(x: Any, array_module: Any = np) -> Any:
    """A scalar as a 0-d array of ``array_module`` (numpy by default); an array unchanged."""
    if np.isscalar(x):
        return array_module.array(x)
    return x


def setup_variable() -> None:
    """Kept for the book's code: Variable's operators are always installed in dezero_core."""


class Function(_CoreFunction, metaclass=ABCMeta):
    """The book's Function: subclasses define ``forward(self, *xs)`` on arrays and
    ``backward(self, *gys)`` on Variables, reading ``self.inputs`` (Variables) and ``self.outputs``
    (weak references), as in the book.

    The backward builds a graph only under ``backward(create_graph=True)``, so the same code gives
    first and higher derivatives. ``self.input``/``self.output`` serve the one-input, one-output
    functions of the book's first steps. dezero_core's functions (``y.creator`` of ``F.sin(x)``)
    count as instances too.
    """

    @classmethod
    def __subclasshook__(cls, candidate: type) -> Any:
        if cls is Function and issubclass(candidate, _CoreFunction):
            return True
        return NotImplemented

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # dezero_core calls forward(xp, *arrays) and backward(xp, xs, y, gy): keep the subclass's
        # own methods under other names and put the adapters in their place
        if "forward" in cls.__dict__:
            cls._book_forward = cls.__dict__["forward"]
            cls.forward = Function._forward_adapter
        if "backward" in cls.__dict__:
            cls._book_backward = cls.__dict__["backward"]
            cls.backward = Function._backward_adapter

    def _forward_adapter(self, xp: Any, *xs: Any) -> Any:
        ys = self._book_forward(*xs)
        if isinstance(ys, tuple):
            return tuple(as_array(y) for y in ys)
        return as_array(ys)

    def _backward_adapter(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        create_graph = isinstance(xp, DifferentiableOps)
        gys = gy if isinstance(gy, tuple) else (gy,)
        gys = tuple(g if g is None or isinstance(g, Variable) else Variable(g, requires_grad=False)
                    for g in gys)
        with using_config("enable_backprop", create_graph):
            gxs = self._book_backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        return tuple(_gradient(g, create_graph) for g in gxs)

    @property
    def input(self) -> Variable:
        """The only input (the book's first steps keep ``self.input``)."""
        (x,) = self.inputs
        return x

    @property
    def output(self) -> Variable | None:
        """The only output, or None once it was dropped (the book's first steps keep ``self.output``)."""
        (ref,) = self.outputs
        return ref()


def _gradient(g: Any, create_graph: bool) -> Any:
    """A gradient returned by a book backward, as dezero_core's engine takes it: a Variable when the
    graph is being recorded, else an array. Numpy scalars (``x.sum()`` of an array) become 0-d arrays."""
    if g is None:
        return None
    if isinstance(g, Variable):
        return g if create_graph else g.data
    g = as_array(g)
    return Variable(g, requires_grad=False) if create_graph else g


# -- the book's arithmetic functions (``dezero.core.add`` ...), on dezero_core's --------------------
def add(x0: Any, x1: Any) -> Variable:
    """``x0 + x1`` (x1 may be a scalar)."""
    return as_variable(x0) + x1


def sub(x0: Any, x1: Any) -> Variable:
    """``x0 - x1`` (x1 may be a scalar)."""
    return as_variable(x0) - x1


def rsub(x0: Any, x1: Any) -> Variable:
    """``x1 - x0``: subtraction with the operands swapped (``__rsub__``)."""
    return x1 - as_variable(x0)


def mul(x0: Any, x1: Any) -> Variable:
    """``x0 * x1`` (x1 may be a scalar)."""
    return as_variable(x0) * x1


def div(x0: Any, x1: Any) -> Variable:
    """``x0 / x1`` (x1 may be a scalar)."""
    return as_variable(x0) / x1


def rdiv(x0: Any, x1: Any) -> Variable:
    """``x1 / x0``: division with the operands swapped (``__rtruediv__``)."""
    return x1 / as_variable(x0)


def neg(x: Any) -> Variable:
    """``-x``."""
    return _F.neg(x)


def pow(x: Any, c: float) -> Variable:  # noqa: A001 - the book's name
    """``x ** c`` for a constant ``c``."""
    return _F.pow(x, c)


def _array_types() -> tuple[type, ...]:
    """numpy's ndarray, and cupy's when dezero_core's cupy backend is usable (the book's ``array_types``)."""
    from dezero.cuda import _cupy_or_reason

    cupy, _ = _cupy_or_reason()
    return (np.ndarray,) if cupy is None else (np.ndarray, cupy.ndarray)


def __getattr__(name: str) -> Any:
    if name == "array_types":  # (resolved on first access: import dezero never imports CuPy)
        return _array_types()
    raise AttributeError(f"module 'dezero.core' has no attribute {name!r}")
