"""Functions with integer or boolean results: argmax, argmin, one_hot and the comparisons.

Each is a :class:`Discrete` Function: an array-level ``forward`` and no gradient. In eager mode its
result is a constant Variable (``requires_grad=False``, no creator), so it can flow into
differentiable code (a mask into :func:`~dezero_core.functions.where`, labels into a loss) without
being recorded in the graph. Traced by ``dz.compile`` or called on symbols, it is a node of the
graph like any other (its outputs need no gradient), so a compiled step that computes an accuracy
or a mask replays without a graph break.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from dezero_core.backend.selection import backend_of
from dezero_core.functions.validation import check_labels, data_of, is_integral
from dezero_core.graph import function as _function
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable, _new_variable
from dezero_core.functions.spec import Arg, Sample, checked


class Discrete(Function):
    """A Function with integer or boolean outputs: no gradient, and never a creator in eager mode.

    Subclasses write ``forward`` only. Called on Variables that require a gradient, the outputs are
    still constants: the graph the caller differentiates does not run through them.
    """

    def __call__(self, *inputs: Any) -> Any:
        # eager fast path: arrays of one known type in, constants out (nothing to record or unlink)
        if not _function.forward_hooks:
            if len(inputs) == 1:  # most calls: written out, a comprehension costs a third of the call
                x = inputs[0]
                data = [x.data if isinstance(x, Variable) else x]
                array_type = type(data[0])
                same_type = True
            else:
                data = [x.data if isinstance(x, Variable) else x for x in inputs]
                array_type = type(data[0])
                same_type = all(type(d) is array_type for d in data)
            ops = _function._ops_by_type.get(array_type)
            if same_type and ops is not None and ops is not _function.SYMBOLIC:
                try:
                    ys = self.forward(ops, *data)
                except _function._REFUSALS as exc:
                    given = tuple(x if isinstance(x, Variable) else _new_variable(x, False) for x in inputs)
                    raise _function._annotate(exc, self, given) from exc
                if type(ys) is tuple:
                    return tuple(_new_variable(y if type(y) is array_type else ops.backend.asarray(y), False)
                                 for y in ys)
                return _new_variable(ys if type(ys) is array_type else ops.backend.asarray(ys), False)
        out = Function.__call__(self, *inputs)  # symbols, Python scalars, hooks: the general path
        for y in out if type(out) is tuple else (out,):
            if y.requires_grad:  # recorded (an input needed a gradient): unlink it from this call
                y.requires_grad = False
                y.creator = None
                y.generation = 0
                data = y.data
                if _function._ops_by_type.get(type(data)) is _function.SYMBOLIC:
                    data.value.requires_grad = False  # the graph's value: autodiff stops here
        self.inputs = None  # nothing to keep alive for a backward that never runs
        return out


def is_symbolic(x: Any) -> bool:
    """Whether ``x`` is a Define-and-Run symbol (its data has no value while a graph is defined)."""
    return isinstance(x, Variable) and _function._ops_by_type.get(type(x.data)) is _function.SYMBOLIC


def value_needed(fn: str, what: str, do: str) -> Exception:
    """The error for a function that must read ``what`` of a symbol: a graph break in ``dz.compile``
    (which then runs the call eagerly), an error naming ``do`` when a graph is defined from symbols."""
    from dezero_core.static.symbolic import SymbolValueError, user_location

    where = user_location()
    return SymbolValueError(f"{fn}: {what}, which a symbol does not have while a graph is traced or defined "
                            f"(at {where}): {do}", where)


class ArgMax(Discrete):
    """Indices of the maxima along ``axis`` (of the flattened array when None)."""

    def __init__(self, axis: int | None, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, xp, x):
        return xp.argmax(x, axis=self.axis, keepdims=self.keepdims)


class ArgMin(ArgMax):
    """Indices of the minima along ``axis`` (of the flattened array when None)."""

    def forward(self, xp, x):
        return xp.argmin(x, axis=self.axis, keepdims=self.keepdims)


@checked((Arg((2, 3)),), (Arg((2, 3)), 1), (Arg((2, 3, 4)), 0, True), grad=False)
def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Variable:
    """Indices of the maxima along ``axis`` (of the flattened array when None); not differentiable."""
    return ArgMax(axis, keepdims)(x)


@checked((Arg((2, 3)),), (Arg((2, 3)), 1), (Arg((2, 3, 4)), 0, True), grad=False)
def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Variable:
    """Indices of the minima along ``axis`` (of the flattened array when None); not differentiable."""
    return ArgMin(axis, keepdims)(x)


class OneHot(Discrete):
    """Integer labels as one-hot vectors of ``num_classes`` along a new last axis, of dtype ``dtype``
    (a name, or a dtype of the labels' backend). The labels' range is checked as it runs."""

    def __init__(self, num_classes: int, dtype: Any) -> None:
        self.num_classes = num_classes
        self.dtype = dtype

    def forward(self, xp, t):
        try:
            check_labels("one_hot", t, self.num_classes)
        except ValueError as error:
            error._dezero_annotated = True  # type: ignore[attr-defined]  # complete: no op prefix needed
            raise
        dtype = getattr(xp, self.dtype) if isinstance(self.dtype, str) else self.dtype
        classes = xp.arange(self.num_classes, dtype=t.dtype)
        return xp.astype(xp.expand_dims(t, axis=-1) == classes, dtype)


@checked((Arg((4,), 0, 5, dtype="int64"), 5), Sample((Arg((2, 3), 0, 4, dtype="int64"), 4), {"dtype": "float64"}),
         grad=False)
def one_hot(t: Any, num_classes: int | None = None, dtype: Any = "float32") -> Variable:
    """``t``'s integer labels as one-hot vectors along a new last axis: shape ``t.shape + (C,)``.

    ``num_classes`` defaults to ``max(t) + 1`` (which reads the labels back: a symbol, in a graph
    being traced or defined, needs it given). ``dtype`` is a dtype of ``t``'s backend or its name
    (default float32, what a float32 model consumes; PyTorch gives int64). Not differentiable.
    """
    data = data_of(t)
    if not is_integral(data):
        raise TypeError(f"one_hot: labels t must be integers, got dtype {data.dtype}")
    if num_classes is None:
        if is_symbolic(t):
            raise value_needed("one_hot", "num_classes=None infers the number of classes from the labels' "
                               "values", "pass num_classes")
        if math.prod(data.shape) == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty labels; pass num_classes")
        num_classes = int(backend_of(data).xp.max(data)) + 1
    return OneHot(int(num_classes), dtype if isinstance(dtype, str) else _dtype_name(dtype, data))(t)


_DTYPE_NAMES = ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "uint16", "uint32",
                "uint64", "bool", "complex64", "complex128")


def _dtype_name(dtype: Any, like: Any) -> str:
    """The name of ``dtype``, a dtype of ``like``'s backend: a graph saves names, not dtype objects."""
    try:
        xp = backend_of(like).xp
    except TypeError:  # a symbol without an example: the selected backend's
        from dezero_core.backend.selection import get_backend

        xp = get_backend().xp
    for name in _DTYPE_NAMES:
        if getattr(xp, name, None) == dtype:
            return name
    raise TypeError(f"one_hot: dtype {dtype!r} is not a dtype of the labels' backend; give its name, such as "
                    f"'float32'")


class Comparison(Discrete):
    """``x1 <op> x2`` elementwise, with broadcasting; ``op`` is the array API's name.

    A Python scalar operand is an attribute (``scalar``; ``scalar_first`` when it is ``x1``), not an
    input: it is compared as the array library compares it, never cast to the array's dtype first
    (``less(int_labels, 0.5)`` compares with 0.5, not 0).
    """

    op = ""

    def __init__(self, scalar: Any = None, scalar_first: bool = False) -> None:
        self.scalar = scalar
        self.scalar_first = scalar_first

    def forward(self, xp, *xs):
        compare = getattr(xp, self.op)
        if len(xs) == 2:
            return compare(xs[0], xs[1])
        return compare(self.scalar, xs[0]) if self.scalar_first else compare(xs[0], self.scalar)


_SCALARS = (bool, int, float)


def _comparison(class_name: str, name: str, symbol: str) -> tuple[type[Comparison], Callable[[Any, Any], Variable]]:
    """The :class:`Comparison` subclass ``class_name`` (the graph's op name) and the public function
    ``name(x1, x2)``: ``x1 <symbol> x2`` through it."""
    cls = type(class_name, (Comparison,), {"op": name, "__doc__": f"``x1 {symbol} x2``.", "__module__": __name__})

    def compare(x1: Any, x2: Any) -> Variable:
        if isinstance(x2, _SCALARS):
            if isinstance(x1, _SCALARS):
                raise TypeError(f"{name}: x1 or x2 must be an array or a Variable, got two Python scalars "
                                f"({x1!r}, {x2!r}); compare them in Python")
            return cls(x2)(x1)
        if isinstance(x1, _SCALARS):
            return cls(x1, scalar_first=True)(x2)
        return cls()(x1, x2)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (f"``x1 {symbol} x2`` elementwise with broadcasting, as a boolean constant "
                       f"Variable (not differentiable); either side may be a Python scalar.")
    return cls, checked((Arg((2, 3)), Arg((2, 3))), (Arg((2, 3)), Arg((3,))), (Arg((2, 3)), 0.0),
                        grad=False)(compare)


Equal, equal = _comparison("Equal", "equal", "==")
NotEqual, not_equal = _comparison("NotEqual", "not_equal", "!=")
Less, less = _comparison("Less", "less", "<")
LessEqual, less_equal = _comparison("LessEqual", "less_equal", "<=")
Greater, greater = _comparison("Greater", "greater", ">")
GreaterEqual, greater_equal = _comparison("GreaterEqual", "greater_equal", ">=")
