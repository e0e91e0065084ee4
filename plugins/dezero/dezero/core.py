"""The book's ``dezero.core``: Variable, Function, Config and friends, mapped onto dezero_core.

``Variable`` and ``Parameter`` *are* dezero_core's classes, so book code and core code share graphs.
``Function`` is an adapter: the book's subclasses write ``forward(self, *arrays)`` and
``backward(self, *gys)`` on Variables; the adapter turns them into dezero_core's protocol.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero_core import Parameter, Variable, no_grad, test_mode, using_config
from dezero_core.config import ENABLE_BACKPROP, TRAIN
from dezero_core.graph.function import Function as _CoreFunction
from dezero_core.graph.variable import as_variable

__all__ = [
    "Config", "Function", "Parameter", "Variable", "as_array", "as_variable", "no_grad",
    "setup_variable", "test_mode", "using_config",
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
    """The book's ``Config``: ``Config.enable_backprop`` and ``Config.train``.

    Unlike the book's, the values live in context variables: setting one affects only the current
    thread or async task. Prefer ``using_config(name, value)``.
    """


def as_array(x: Any, array_module: Any = np) -> Any:
    """A scalar as a 0-d array of ``array_module`` (numpy by default); an array unchanged."""
    if np.isscalar(x):
        return array_module.array(x)
    return x


def setup_variable() -> None:
    """Kept for the book's code: Variable's operators are always installed in dezero_core."""


class Function(_CoreFunction):
    """The book's Function: subclasses define ``forward(self, *xs)`` on arrays and
    ``backward(self, *gys)`` on Variables (reading ``self.inputs``/``self.outputs`` as in the book).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            cls._book_forward = cls.__dict__["forward"]
            cls.forward = Function._forward_adapter
        if "backward" in cls.__dict__:
            cls._book_backward = cls.__dict__["backward"]
            cls.backward = Function._backward_adapter

    def _forward_adapter(self, xp: Any, *xs: Any) -> Any:
        ys = self._book_forward(*xs)
        if isinstance(ys, (list, tuple)):
            return tuple(as_array(y) for y in ys)
        return as_array(ys)

    def _backward_adapter(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        create_graph = any(isinstance(g, Variable) for g in (gy if isinstance(gy, tuple) else (gy,)))
        gys = gy if isinstance(gy, tuple) else (gy,)
        gys = tuple(g if g is None or isinstance(g, Variable) else Variable(g, requires_grad=False)
                    for g in gys)
        with using_config("enable_backprop", create_graph):
            gxs = self._book_backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        if create_graph:
            return tuple(g if g is None or isinstance(g, Variable) else as_variable(g) for g in gxs)
        return tuple(g.data if isinstance(g, Variable) else g for g in gxs)
