"""Symbols: Variables that stand for values of a graph being defined.

A :class:`Symbol` is a Variable whose ``data`` is a :class:`Placeholder`. Calling any Function on a
symbol records a node (``Function.__call__`` hands the call to :func:`symbolic_call`) instead of
computing, so every registered function, layer, model and loss builds graphs unchanged. Where a
symbol's shape and dtype are known (declared, or the arguments of a traced call), the node also runs
on *example* arrays as it is recorded: that gives the shapes layers and reshapes read, and the
values the functions' input checks look at. Those examples never enter the graph: using a symbol
where a value is needed (``bool``, ``float``, comparisons of its ``data``, numpy on it) raises
:class:`SymbolValueError`, naming the symbol and the line, and pointing to ``dz.cond``.
"""
from __future__ import annotations

import contextvars
import itertools
import os
import sys
from typing import Any, Sequence

from dezero_core.config import ENABLE_BACKPROP
from dezero_core.graph import function as _function
from dezero_core.graph.variable import Parameter, Variable, _new_variable
from dezero_core.static.ir import Node, Value

_order = itertools.count()

#: the tracing context (a :class:`dezero_core.static.tracing.Trace`) while a Python function is traced
CURRENT_TRACE: contextvars.ContextVar[Any] = contextvars.ContextVar("dezero_static_trace", default=None)

_STATIC_DIR = os.path.dirname(os.path.abspath(__file__))
_PACKAGE_DIR = os.path.dirname(_STATIC_DIR)


class SymbolValueError(TypeError):
    """A symbol was used where a concrete value is needed (a graph break when tracing)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


def user_location() -> str:
    """``file:line`` of the user's line (the innermost frame outside dezero_core), followed by the
    line of dezero_core that read the value when that is another one: ``model.py:12 (in
    .../functions/discrete.py:25)``."""
    return _locate(_frames_from(sys._getframe(1)))


def location_in(tb: Any) -> str:
    """:func:`user_location` for where the exception of traceback ``tb`` was raised."""
    frames = []
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return _locate(frames[::-1])


def _frames_from(frame: Any) -> list:
    frames = []
    while frame is not None:
        frames.append((frame, frame.f_lineno))
        frame = frame.f_back
    return frames


def _locate(frames: list) -> str:
    """The user's line and the reading line, from innermost-first ``(frame, line)`` pairs."""
    reader = user = None
    for frame, line in frames:
        if user is not None:
            break
        path = os.path.abspath(frame.f_code.co_filename)
        where = f"{frame.f_code.co_filename}:{line}"
        library = (path.startswith(_STATIC_DIR) or "site-packages" in path
                   or frame.f_code.co_filename.startswith("<frozen"))
        if reader is None and not library:
            reader = where
        if not path.startswith(_PACKAGE_DIR) and not library:
            user = where
    user = user or reader or "<unknown>"
    return user if reader in (None, user) else f"{user} (in {reader})"


class Placeholder:
    """The ``data`` of a :class:`Symbol`: its shape and dtype, but no value.

    ``trace_example`` is the array computed for it while the graph was defined (None when the shape
    or dtype is unknown); only input checks of the functions read it (``validation.checked_array``).
    """

    __slots__ = ("value", "trace_example")

    def __init__(self, value: Value, example: Any) -> None:
        self.value = value
        self.trace_example = example

    @property
    def shape(self) -> tuple[int, ...]:
        """The symbol's shape (an error when it was not declared)."""
        if self.trace_example is not None:
            return tuple(self.trace_example.shape)
        shape = self.value.shape
        if shape is None or any(d is None for d in shape):
            raise SymbolValueError(f"{describe(self.value)} has no known shape at {user_location()}: this code "
                                   f"reads it. Declare it: dz.symbol({self.value.name!r}, shape=(...), dtype=...)")
        return shape  # type: ignore[return-value]

    @property
    def dtype(self) -> Any:
        """The symbol's dtype (the backend's dtype object; an error when it was not declared)."""
        if self.trace_example is not None:
            return self.trace_example.dtype
        if self.value.dtype is None:
            raise SymbolValueError(f"{describe(self.value)} has no known dtype at {user_location()}: this code "
                                   f"reads it. Declare it: dz.symbol({self.value.name!r}, dtype='float32')")
        from dezero_core.backend.selection import get_backend

        return getattr(get_backend().xp, self.value.dtype)

    def dezero_checkable(self) -> Any:
        """What input checks read (``validation.checked_array``): the example, else an empty array of
        the declared dtype (dtype checks pass, value checks find nothing), else None."""
        if self.trace_example is not None or self.value.dtype is None:
            return self.trace_example
        from dezero_core.backend.selection import get_backend

        xp = get_backend().xp
        return xp.empty((0,), dtype=getattr(xp, self.value.dtype))

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    def _value_needed(self, what: str) -> SymbolValueError:
        where = user_location()
        return SymbolValueError(
            f"{describe(self.value)} is used where a value is needed ({what}) at {where}. While a graph is "
            f"defined or traced a symbol has no value: write data-dependent control flow with "
            f"dz.cond(pred, true_fn, false_fn, *operands) or dz.while_loop(cond_fn, body_fn, init), "
            f"and read values from the compiled function's results.", where)

    def __array_ufunc__(self, ufunc: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        raise self._value_needed(f"numpy.{getattr(ufunc, '__name__', ufunc)}")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise self._value_needed(f"numpy.{getattr(func, '__name__', func)}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise self._value_needed(f".data.{name}")

    def __repr__(self) -> str:
        return f"<{describe(self.value)}>"


def _value_use(what: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise self._value_needed(what)

    method.__name__ = what
    return method


for _name, _what in [("bool", "bool()"), ("float", "float()"), ("int", "int()"), ("index", "as an index"),
                     ("complex", "complex()"), ("len", "len()"), ("iter", "iteration"),
                     ("array", "conversion to an array"), ("getitem", "indexing its data")]:
    setattr(Placeholder, f"__{_name}__", _value_use(_what))
for _name, _what in [("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="), ("add", "+"), ("radd", "+"),
                     ("sub", "-"), ("rsub", "-"), ("mul", "*"), ("rmul", "*"), ("truediv", "/"),
                     ("rtruediv", "/"), ("pow", "**"), ("matmul", "@"), ("neg", "unary -"), ("abs", "abs()")]:
    setattr(Placeholder, f"__{_name}__", _value_use(f"data {_what}"))
Placeholder.__eq__ = _value_use("data ==")  # type: ignore[method-assign]
Placeholder.__ne__ = _value_use("data !=")  # type: ignore[method-assign]
Placeholder.__hash__ = object.__hash__  # type: ignore[method-assign]


class Symbol(Variable):
    """A Variable of a graph being defined: ``data`` is a :class:`Placeholder`, never a value."""

    __slots__ = ()

    @property
    def value(self) -> Value:
        """The IR value this symbol stands for."""
        return self.data.value

    def backward(self, retain_grad: bool = False, create_graph: bool = False, retain_graph: bool = True) -> None:
        """Inside a traced function: derive the gradients of every parameter from this symbol (at
        compile time), to be written into the parameters' ``grad`` when the compiled function runs."""
        trace = CURRENT_TRACE.get()
        if trace is None:
            raise RuntimeError(f"{describe(self.value)}.backward() outside a traced function: a symbolic "
                               f"graph takes its gradients with dz.grad(outputs, inputs)")
        trace.backward(self)

    def __repr__(self) -> str:
        return f"symbol({describe(self.value)})"

    def __reduce__(self) -> Any:
        raise TypeError(f"{describe(self.value)} cannot be pickled: save a compiled function with f.save(path)")


def _symbol_value_use(what: str) -> Any:
    def method(self: Symbol, *args: Any, **kwargs: Any) -> Any:
        raise self.data._value_needed(what)

    method.__name__ = what
    return method


for _name, _what in [("__bool__", "bool()"), ("__float__", "float()"), ("__int__", "int()"), ("__index__", "as an index"),
                     ("__array__", "conversion to an array"), ("item", "item()")]:
    setattr(Symbol, _name, _symbol_value_use(_what))


def describe(value: Value) -> str:
    """``symbol 'x' (shape (2, 3), float32)``, or for a node output, which function made it."""
    what = f"symbol {value.name!r}"
    if value.kind == "node" and value.producer is not None:
        what = f"the output of {value.producer.op} (symbol {value.name!r})"
    shape = "?" if value.shape is None else str(tuple(value.shape))
    return f"{what} (shape {shape}, {value.dtype or '?'})"


def make_symbol(value: Value, example: Any) -> Symbol:
    """A Symbol for ``value`` with ``example`` (an array, or None)."""
    s = object.__new__(Symbol)
    Variable.data.__set__(s, _placeholder_type(example)(value, example))  # type: ignore[attr-defined]
    s.name = value.name
    s._grad = None
    s.creator = None
    s.generation = 0
    s.requires_grad = value.requires_grad
    return s


def dtype_name(dtype: Any) -> str | None:
    """A dtype's name (``float32``), whatever library it comes from."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        return dtype
    name = getattr(dtype, "name", None)
    return name if isinstance(name, str) else str(dtype).rsplit(".", 1)[-1].strip("'>")


# -- values of what enters a node --------------------------------------------------------------
def value_of(x: Any) -> tuple[Value, Any]:
    """``(IR value, example array or None)`` for one input of a recorded call."""
    if isinstance(x, Symbol):
        return x.data.value, x.data.trace_example
    if isinstance(x, Placeholder):  # a symbol's data, from a raw array call recorded in a backward
        return x.value, x.trace_example
    if isinstance(x, Variable):
        data = x.data
        # one value per Variable in a trace, however often it is used: the gradients of a layer
        # applied twice add up (symbolic definitions merge them when the graph is built)
        trace = CURRENT_TRACE.get()
        v = trace.leaf_values.get(id(x)) if trace is not None else None
        if v is not None and v.kind == "node":  # computed while tracing from parameters or state
            return v, data
        if v is None:
            v = Value("param" if isinstance(x, Parameter) else "state", x.name or "", source=x)
            if trace is not None:
                trace.leaf_values[id(x)] = v
        v.shape, v.dtype = tuple(data.shape), dtype_name(data.dtype)
        # a Variable computed eagerly before the graph is a fixed input here: no gradient flows past it
        v.requires_grad = x.requires_grad and x.creator is None
        return v, data
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return Value("state", "", tuple(x.shape), dtype_name(x.dtype), source=x), x
    if isinstance(x, (bool, int, float)):
        return Value("const", "", (), None, source=x), None
    raise TypeError(f"cannot use {type(x).__name__} {x!r:.60} as an input of a graph node: pass a Variable, an "
                    f"array, a Python scalar or a symbol")


def example_of(v: "Value | None") -> Any:
    """The example array of a value while its graph is being defined (None when unknown)."""
    if v is None:
        return None
    if v.kind == "node" or v.kind == "input":
        return getattr(v, "_example", None)
    if v.kind == "const":
        return v.source
    return read_source(v.source)


class GradHolder:
    """The gradient a Variable holds, as a graph state read at each run (eager's accumulation into
    ``grad`` when a traced step does not call ``cleargrads()``)."""

    def __init__(self, holder: Variable) -> None:
        self.holder = holder

    @property
    def data(self) -> Any:
        """The gradient array now: zeros where none is held any more (a hook such as ``FreezeParam``
        dropped it; eager's backward then starts afresh, which adding to zeros equals)."""
        g = self.holder._grad
        if g is None:
            from dezero_core.backend.selection import backend_of

            return backend_of(self.holder.data).xp.zeros_like(self.holder.data)
        return g.data if isinstance(g, Variable) else g


class LayerState:
    """The array a layer attribute holds now (an RNN's hidden state ``LSTM.h``), as a graph state
    read at each run: a compiled function carries it between calls (:mod:`.layer_state`)."""

    def __init__(self, layer: Any, attr: str) -> None:
        self.layer = layer
        self.attr = attr

    @property
    def data(self) -> Any:
        """The attribute's array now."""
        value = getattr(self.layer, self.attr)
        return value.data if isinstance(value, Variable) else value


def reads_at_run(source: Any) -> bool:
    """Whether a param/state value's ``source`` is a holder whose ``data`` is read at every run (a
    Variable, a :class:`GradHolder`, a :class:`LayerState`), rather than an array used as it is."""
    return isinstance(source, (Variable, GradHolder, LayerState))


def read_source(source: Any) -> Any:
    """The array a param/state value stands for now."""
    return source.data if reads_at_run(source) else source


def record(kind: str, fn: Any, inputs: Sequence[Value | None], attrs: dict | None = None) -> Node:
    """A new node (not yet placed in any graph; the builder orders nodes by creation)."""
    node = Node(kind, fn, list(inputs), [], dict(attrs or {}))
    node._seq = next(_order)  # type: ignore[attr-defined]
    return node


def output_values(node: Node, examples: Sequence[Any] | None, requires_grad: bool, n_out: int) -> list[Value]:
    """The output values of ``node`` (shapes and dtypes from ``examples`` when known)."""
    outs = []
    for i in range(n_out):
        ex = None if examples is None else examples[i]
        v = Value("node", f"v{next(_order)}", None if ex is None else tuple(ex.shape),
                  None if ex is None else dtype_name(ex.dtype), requires_grad, node, i)
        v._example = ex  # type: ignore[attr-defined]  # the builder drops it (see example_of)
        outs.append(v)
    node.outputs = outs
    return outs


def run_forward(fn: Any, arrays: Sequence[Any]) -> tuple[Any, ...]:
    """``fn.forward`` on example arrays, results as a tuple of arrays of the inputs' type (as eager)."""
    first = next(a for a in arrays if hasattr(a, "dtype"))
    ops = _function._ops_by_type.get(type(first)) or _function._ops_of(first)
    arrays = [ops.backend.asarray(a, dtype=first.dtype) if isinstance(a, (bool, int, float)) else a for a in arrays]
    try:
        ys = fn.forward(ops, *arrays)
    except (ValueError, TypeError, IndexError) as exc:
        raise _function._annotate(exc, fn, tuple(_new_variable(a, False) for a in arrays)) from exc
    ys = ys if type(ys) is tuple else (ys,)
    return tuple(y if type(y) is type(first) else ops.backend.asarray(y) for y in ys)


def symbolic_call(fn: Any, inputs: tuple) -> Any:
    """Record ``fn(*inputs)`` as a node; returns Symbol(s) for its output(s)."""
    pairs = [value_of(x) for x in inputs]
    values = [v for v, _ in pairs]
    examples = [e if e is not None else (v.source if v.kind == "const" else None) for v, e in pairs]
    requires = any(v.requires_grad for v in values) and ENABLE_BACKPROP.get()
    fn.needs_grad = tuple(v.requires_grad for v in values)
    node = record("call", fn, values)
    known = all(e is not None for e in examples) and any(hasattr(e, "dtype") for e in examples)
    ys = None
    if known:
        trace = CURRENT_TRACE.get()
        if trace is not None and getattr(fn, "impure", False):
            trace.before_impure(fn)
        ys = run_forward(fn, examples)
        # a scalar constant becomes an array of the others' dtype, exactly as eager's _constant does
        for i, (v, e) in enumerate(pairs):
            if v.kind == "const" and isinstance(v.source, (bool, int, float)):
                first = next(a for a in examples if hasattr(a, "dtype"))
                v.source = _function.backend_of(first).asarray(v.source, dtype=first.dtype)
                v.shape, v.dtype = (), dtype_name(first.dtype)
    n_out = len(ys) if ys is not None else _output_count(fn)
    outs = output_values(node, ys, requires, n_out)
    symbols = [make_symbol(v, None if ys is None else ys[i]) for i, v in enumerate(outs)]
    return tuple(symbols) if (ys is not None and len(ys) > 1) or n_out > 1 else symbols[0]


def _output_count(fn: Any) -> int:
    """How many outputs ``fn`` has when it cannot be run on examples (one, unless it declares more)."""
    return int(getattr(fn, "n_outputs", 1))


def symbol(name: str, shape: Sequence[int | None] | None = None, dtype: Any = None) -> Symbol:
    """A placeholder named ``name``: an input of the graph, given when the compiled function is called.

    ``shape`` (None: any; a None dimension: any size there) and ``dtype`` (a name or the backend's
    dtype) are checked at every call. With both fully known, functions can be called on it as on a
    Variable of that shape (layers initialise their parameters from it); without, only functions that
    do not read shapes (arithmetic, elementwise math) can.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"dz.symbol: the name must be a Python identifier (it becomes a keyword argument), "
                         f"got {name!r}")
    shape_t = None if shape is None else tuple(None if d is None else int(d) for d in shape)
    dname = dtype_name(dtype)
    example = None
    if shape_t is not None and None not in shape_t and dname is not None:
        from dezero_core.backend.selection import get_backend

        xp = get_backend().xp
        dt = getattr(xp, dname)
        example = xp.ones(shape_t, dtype=dt) if xp.isdtype(dt, ("real floating", "complex floating")) \
            else xp.zeros(shape_t, dtype=dt)
    floating = dname is None or dname.startswith(("float", "complex"))
    v = Value("input", name, shape_t, dname, requires_grad=floating)
    v._example = example  # type: ignore[attr-defined]
    return make_symbol(v, example)


def constant(value: Any) -> Symbol:
    """A constant of the graph: a Python scalar or an array, fixed when the graph is defined (it may be
    folded). An array that changes between runs must be a :func:`symbol` instead."""
    if isinstance(value, Variable):
        value = value.data
    if isinstance(value, (bool, int, float)):
        return make_symbol(Value("const", f"c{next(_order)}", (), None, source=value), None)
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        raise TypeError(f"dz.constant takes a Python scalar or an array, got {type(value).__name__}")
    v = Value("const", f"c{next(_order)}", tuple(value.shape), dtype_name(value.dtype), source=value)
    return make_symbol(v, value)


_placeholder_types: dict[int, type] = {}


def _placeholder_type(example: Any) -> type:
    """A Placeholder subclass per backend, so that ``backend_of(symbol.data)`` is the backend of the
    symbol's example (code that creates arrays for a symbol, such as a lazy layer, needs it)."""
    if example is None:
        return Placeholder
    from dezero_core.backend import selection

    backend = selection.backend_of(example)
    cls = _placeholder_types.get(id(backend))
    if cls is None:
        cls = type(f"Placeholder_{backend.name}", (Placeholder,), {"__slots__": ()})
        selection._by_type[cls] = backend
        _function._ops_by_type[cls] = _function.SYMBOLIC
        _placeholder_types[id(backend)] = cls
    return cls


def _install() -> None:
    _function._ops_by_type[Placeholder] = _function.SYMBOLIC
    _function.symbolic_call = symbolic_call


_install()
