"""The namespace a Function's backward is recorded with, to differentiate a gradient again.

A ``backward`` node of a graph is opaque: it calls the Function's array-level ``backward``. For a
gradient of a gradient, :mod:`dezero_core.static.autodiff` records that backward again on symbols
with eager's ``create_graph`` namespace (:class:`~dezero_core.backend.ops.DifferentiableOps`), whose
differentiable functions record nodes. A backward also computes on raw arrays (a mask cast to a
dtype, ``ones_like``, a reshape of integer labels): :class:`SymbolicOps` records those calls as
:class:`ArrayCall` nodes, constants of the gradient (no gradient flows through them), which is what
eager's ``create_graph`` makes of them too.
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend.ops import NON_DIFFERENTIABLE, DifferentiableOps
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.static.symbolic import Placeholder, Symbol, dtype_name, make_symbol


class Slot:
    """In :attr:`ArrayCall.args`: the node's input ``index`` goes here."""

    def __init__(self, index: int) -> None:
        self.index = index


class DType:
    """In :attr:`ArrayCall.args`: the backend's dtype named ``name`` goes here (saved by name)."""

    def __init__(self, name: str) -> None:
        self.name = name


class ArrayCall(Function):
    """``xp.<xp_name>(*args, **kwargs)`` on the backend's arrays, the node's inputs in the :class:`Slot`
    places; no gradient flows through it (a constant of a gradient, as under eager ``create_graph``)."""

    def __init__(self, xp_name: str, args: tuple, kwargs: dict[str, Any]) -> None:
        self.xp_name = xp_name
        self.args = args
        self.kwargs = kwargs

    def forward(self, xp: Any, *arrays: Any) -> Any:
        def fill(a: Any) -> Any:
            return arrays[a.index] if isinstance(a, Slot) else getattr(xp, a.name) if isinstance(a, DType) else a

        return getattr(xp, self.xp_name)(*[fill(a) for a in self.args], **{k: fill(v) for k, v in self.kwargs.items()})

    def backward(self, xp: Any, xs: Any, y: Any, gy: Any) -> Any:
        return (None,) * len(xs)


def _is_dtype(a: Any) -> bool:
    return isinstance(a, type) or "dtype" in type(a).__name__.lower()


class RecordingOps:
    """A backend's raw ``ops``, recording an :class:`ArrayCall` where an argument is a symbol's data."""

    def __init__(self, ops: Any) -> None:
        self._ops = ops

    def __getattr__(self, name: str) -> Any:
        raw = getattr(self._ops, name)
        if not callable(raw) or _is_dtype(raw):
            return raw

        def call(*args: Any, **kwargs: Any) -> Any:
            inputs: list[Symbol] = []

            def place(a: Any) -> Any:
                if isinstance(a, Placeholder):
                    inputs.append(make_symbol(a.value, a.trace_example))
                    return Slot(len(inputs) - 1)
                return DType(dtype_name(a)) if _is_dtype(a) else a

            template = tuple(place(a) for a in args)
            named = {k: place(v) for k, v in kwargs.items()}
            if not inputs:
                return raw(*args, **kwargs)
            return _with_operators(ArrayCall(name, template, named)(*inputs).data)
        call.__name__ = name
        self.__dict__[name] = call
        return call


#: operators of a recorded array, as the array functions that compute them
_OPERATORS = {"__eq__": "equal", "__ne__": "not_equal", "__lt__": "less", "__le__": "less_equal",
              "__gt__": "greater", "__ge__": "greater_equal", "__add__": "add", "__sub__": "subtract",
              "__mul__": "multiply", "__truediv__": "divide", "__pow__": "pow"}
_REVERSED = {"__radd__": "add", "__rsub__": "subtract", "__rmul__": "multiply", "__rtruediv__": "divide"}
_with_operators_types: dict[type, type] = {}


def _recording_ops(p: Placeholder) -> "RecordingOps":
    from dezero_core.backend.selection import backend_of, get_backend

    return symbolic_ops(backend_of(p.trace_example) if p.trace_example is not None else get_backend())._xp


def _operator(name: str, reverse: bool) -> Any:
    def op(self: Placeholder, other: Any) -> Any:
        fn = getattr(_recording_ops(self), name)
        return fn(other, self) if reverse else fn(self, other)
    return op


def _array_ufunc(self: Placeholder, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    if method != "__call__" or kwargs:  # numpy's side of an operator with an array on the left
        raise self._value_needed(f"numpy.{ufunc.__name__}.{method}")
    return getattr(_recording_ops(self), ufunc.__name__)(*inputs)


def _with_operators(p: Placeholder) -> Placeholder:
    """``p`` (the data of a recorded raw array call), able to take part in operators as an array
    does (``t == classes`` in a backward): each records one more :class:`ArrayCall`."""
    from dezero_core.backend import selection
    from dezero_core.graph import function as _function

    cls = type(p)
    new = _with_operators_types.get(cls)
    if new is None:
        methods = {k: _operator(name, False) for k, name in _OPERATORS.items()}
        methods.update({k: _operator(name, True) for k, name in _REVERSED.items()})
        methods.update(__neg__=lambda self: _recording_ops(self).negative(self), __array_ufunc__=_array_ufunc,
                       __hash__=object.__hash__, __slots__=())
        new = _with_operators_types[cls] = type(f"Recorded{cls.__name__}", (cls,), methods)
        if cls in selection._by_type:
            selection._by_type[new] = selection._by_type[cls]
        _function._ops_by_type[new] = _function.SYMBOLIC
    p.__class__ = new
    return p


class _BackendView:
    """A backend whose ``ops`` record (backwards reach raw arrays through ``xp.backend.ops``)."""

    def __init__(self, backend: Any, ops: RecordingOps) -> None:
        self._backend = backend
        self.ops = ops

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


class SymbolicOps(DifferentiableOps):
    """:class:`~dezero_core.backend.ops.DifferentiableOps` over symbols: differentiable functions
    record nodes; raw array functions record :class:`ArrayCall` nodes, constants of the gradient."""

    def __init__(self, backend: Any) -> None:
        super().__init__(backend)
        self._xp = RecordingOps(backend.ops)
        self.backend = _BackendView(backend, self._xp)

    def __getattr__(self, name: str) -> Any:
        if name not in NON_DIFFERENTIABLE or not callable(getattr(self._xp, name)):
            return super().__getattr__(name)
        raw = getattr(self._xp, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            out = raw(*[a.data if isinstance(a, Variable) else a for a in args],
                      **{k: v.data if isinstance(v, Variable) else v for k, v in kwargs.items()})
            if isinstance(out, Placeholder):
                return make_symbol(out.value, out.trace_example)
            return Variable(out, requires_grad=False) if hasattr(out, "shape") else out
        call.__name__ = name
        self.__dict__[name] = call
        return call


_cache: dict[int, SymbolicOps] = {}


def symbolic_ops(backend: Any) -> SymbolicOps:
    """The :class:`SymbolicOps` of ``backend`` (made once)."""
    ops = _cache.get(id(backend))
    if ops is None:
        ops = _cache[id(backend)] = SymbolicOps(backend)
    return ops
