"""``Function``: the base class that owns all graph bookkeeping.

A subclass writes only the math, once, against a namespace ``xp``::

    class Sin(Function):
        def forward(self, xp, x):
            return xp.sin(x)

        def backward(self, xp, xs, y, gy):
            x, = xs
            return gy * xp.cos(x)

``forward`` gets arrays. ``backward`` gets arrays on the fast path, or Variables when the user asked
for ``create_graph=True``; the same code serves both because ``xp`` is then a namespace of
differentiable functions (see :mod:`dezero_core.backend.ops`).
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

from dezero_core.backend.selection import backend_of
from dezero_core.config import ENABLE_BACKPROP
from dezero_core.graph.variable import Variable, _new_variable

#: callables ``hook(function, inputs, outputs)`` run after every forward (anomaly detection,
#: profiling, graph capture for Define-and-Run). Empty in normal use, so the check costs one test.
forward_hooks: list[Callable[["Function", tuple, tuple], None]] = []

#: what an array library raises for inputs it refuses (torch: a bare RuntimeError for shapes and devices)
_REFUSALS = (ValueError, TypeError, IndexError, RuntimeError)
_SCALAR_TYPES = (int, float, bool)
_ONE_NEEDED = (True,)

#: array type -> the ``ops`` namespace of the backend owning it: one dict lookup per call
_ops_by_type: dict[type, Any] = {}

#: Define-and-Run (:mod:`dezero_core.static`) maps the type of a symbol's ``data`` to this marker in
#: ``_ops_by_type`` and sets ``symbolic_call``: a call with a symbolic input is recorded as a graph
#: node (``symbolic_call(function, inputs)``) instead of computed. Costs one ``is`` test per call.
SYMBOLIC: Any = object()
symbolic_call: Callable[["Function", tuple], Any] | None = None


class Function:
    """A differentiable operation: ``forward`` on arrays, ``backward`` on arrays or Variables.

    After a recorded call, ``inputs`` holds the input Variables, ``outputs`` weak references to the
    outputs, ``generation`` the position in the graph and ``needs_grad`` which inputs need a
    gradient (a backward may skip the others; the engine ignores what it returns for them).
    """

    inputs: tuple[Variable, ...] | None = None
    outputs: tuple[weakref.ref, ...] | None = None
    generation: int = 0
    needs_grad: tuple[bool, ...] = ()
    #: True for a forward that draws random numbers or changes state in place (dropout, batch norm's
    #: running averages): Define-and-Run passes never merge, fold or drop such a call
    impure: bool = False

    def __call__(self, *inputs: Any) -> Any:
        # The hot path of the whole framework: on small arrays this bookkeeping costs more than the
        # arithmetic. A comprehension, an f(*args) call or a method call each costs about as much
        # as the rest of a one-input call, so the common case (one Variable in, one array out) is
        # _call and _finish below written out for it, and they use plain loops.
        if len(inputs) != 1 or not isinstance(inputs[0], Variable):
            return self._call(inputs)
        x = inputs[0]
        data = x.data
        ops = _ops_by_type.get(type(data)) or _ops_of(data)
        if ops is SYMBOLIC:
            return symbolic_call(self, inputs)  # type: ignore[misc]
        try:
            y = self.forward(ops, data)
        except _REFUSALS as exc:
            raise _annotate(exc, self, inputs) from exc
        if type(y) is tuple:
            return self._finish(inputs, ops, type(data), y)
        record = x.requires_grad and ENABLE_BACKPROP.get()
        out = _new_variable(y if type(y) is type(data) else ops.backend.asarray(y), record)
        if record:
            out.creator = self
            out.generation = x.generation + 1
            self.generation = x.generation
            self.inputs = inputs
            self.needs_grad = _ONE_NEEDED
            self.outputs = (weakref.ref(out),)
        if forward_hooks:
            _run_hooks(self, inputs, (out,))
        return out

    def _call(self, inputs: tuple[Any, ...]) -> Any:
        """``__call__`` in general: any number of inputs, raw arrays and Python scalars among them."""
        xs = inputs
        for x in inputs:
            if not isinstance(x, Variable):
                if symbolic_call is not None and _any_symbolic(inputs):
                    return symbolic_call(self, inputs)
                xs = tuple([x if isinstance(x, Variable) else _constant(x, inputs) for x in inputs])
                break
        first = xs[0].data
        ops = _ops_by_type.get(type(first)) or _ops_of(first)
        if ops is SYMBOLIC:
            return symbolic_call(self, inputs)  # type: ignore[misc]
        data = []
        for x in xs:
            d = x.data
            if type(d) is not type(first) and (_ops_by_type.get(type(d)) or _ops_of(d)) is not ops:
                if _ops_by_type.get(type(d)) is SYMBOLIC:
                    return symbolic_call(self, inputs)  # type: ignore[misc]
                raise _mixed_backends(self, xs)
            data.append(d)
        try:
            ys = self.forward(ops, *data)
        except _REFUSALS as exc:
            raise _annotate(exc, self, xs) from exc
        return self._finish(xs, ops, type(first), ys)

    def _finish(self, xs: tuple[Variable, ...], ops: Any, array_type: type, ys: Any) -> Any:
        """Wrap the forward's array(s) in Variables; link the graph when an input needs a gradient.

        A result of another type than the inputs' arrays (numpy's scalars) is made an array.
        """
        needs_grad = []
        generation = 0
        for x in xs:
            needs_grad.append(x.requires_grad)
            if x.generation > generation:
                generation = x.generation
        record = True in needs_grad and ENABLE_BACKPROP.get()
        if type(ys) is tuple:
            outputs = tuple([_new_variable(y if type(y) is array_type else ops.backend.asarray(y), record)
                             for y in ys])
        else:
            outputs = (_new_variable(ys if type(ys) is array_type else ops.backend.asarray(ys), record),)
        if record:
            for out in outputs:
                out.creator = self
                out.generation = generation + 1
            self.generation = generation
            self.inputs = xs
            self.needs_grad = tuple(needs_grad)
            # weak references: the graph must not keep the outputs (and their arrays) alive
            self.outputs = (weakref.ref(outputs[0]),) if len(outputs) == 1 else tuple(
                [weakref.ref(out) for out in outputs])
        if forward_hooks:
            _run_hooks(self, xs, outputs)
        return outputs if type(ys) is tuple else outputs[0]

    def forward(self, xp: Any, *xs: Any) -> Any:
        """Compute the outputs (an array, or a tuple of arrays) from input arrays."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, xp: Any, xs: tuple[Any, ...], y: Any, gy: Any) -> Any:
        """Gradients of the inputs (one, or a tuple with one per input; None where not needed).

        ``y`` and ``gy`` are the output and its gradient (tuples for a multi-output function).
        """
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    @property
    def name(self) -> str:
        """The function's name in error messages and graph plots."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name} generation={self.generation}>"


class RefusedOperationError(ValueError, RuntimeError):
    """An operation that the array library refused with a bare RuntimeError (torch does for shapes and
    devices where numpy raises ValueError): a ValueError on every backend, and still a RuntimeError."""


def _run_hooks(fn: Function, xs: tuple, outputs: tuple) -> None:
    for hook in forward_hooks:
        hook(fn, xs, outputs)


def _any_symbolic(inputs: tuple) -> bool:
    """Whether a Define-and-Run symbol is among ``inputs`` (checked only when raw inputs are present)."""
    return any(isinstance(x, Variable) and _ops_by_type.get(type(x.data)) is SYMBOLIC for x in inputs)


def _constant(obj: Any, inputs: tuple) -> Variable:
    """Wrap a raw input: arrays become constants, Python scalars take the dtype of the array inputs."""
    if type(obj) in _SCALAR_TYPES or isinstance(obj, (int, float)):
        ref = next((x.data if isinstance(x, Variable) else x for x in inputs if hasattr(x, "dtype")), None)
        if ref is None:
            raise TypeError(f"cannot infer a backend for the scalar {obj!r}: pass at least one array or Variable")
        backend = backend_of(ref)
        return _new_variable(backend.asarray(obj, dtype=ref.dtype), False)
    backend_of(obj)  # raises a TypeError naming the type when obj is not an array
    return _new_variable(obj, False)


def _ops_of(array: Any) -> Any:
    """The namespace ``forward`` computes with on ``array``'s backend (cached per array type)."""
    ops = _ops_by_type[type(array)] = backend_of(array).ops
    return ops


def _describe(xs: tuple[Variable, ...]) -> str:
    return ", ".join(f"{tuple(x.shape)} {x.dtype}" for x in xs)


def _mixed_backends(fn: Function, xs: tuple[Variable, ...]) -> TypeError:
    names = [f"input {i} on {backend_of(x.data).name} (shape {tuple(x.shape)})" for i, x in enumerate(xs)]
    return TypeError(
        f"{fn.name}: inputs live on different backends: {'; '.join(names)}. Move them to one backend "
        f"first with Variable.to(name) (or to_cpu()/to_gpu(); Layer.to(name) for a whole model)."
    )


def _device_hint(xs: tuple[Variable, ...]) -> str:
    """When inputs of one backend live on different devices: where each is, and how to move them."""
    backend = backend_of(xs[0].data)
    devices = [backend.device_of(x.data) for x in xs]
    if all(d == devices[0] for d in devices):
        return ""
    where = "; ".join(f"input {i} on {d}" for i, d in enumerate(devices))
    return (f". The inputs live on different devices ({where}): move them to one first with "
            f"Variable.to({backend.name!r}, device) (Layer.to for a whole model).")


def _annotate(exc: Exception, fn: Function, xs: tuple[Variable, ...]) -> Exception:
    """The same exception type, with the operation's name and the input shapes and dtypes."""
    if getattr(exc, "_dezero_annotated", False):
        return exc
    message = f"{fn.name}: {exc} (inputs: {_describe(xs)}){_device_hint(xs)}"
    try:
        new = (RefusedOperationError if type(exc) is RuntimeError else type(exc))(message)
    except Exception:
        new = ValueError(message)
    new._dezero_annotated = True  # type: ignore[attr-defined]
    return new
