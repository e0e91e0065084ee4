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

_SCALAR_TYPES = (int, float, bool)
_ONE_NEEDED = (True,)

#: array type -> the ``ops`` namespace of the backend owning it: one dict lookup per call
_ops_by_type: dict[type, Any] = {}


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

    def __call__(self, *inputs: Any) -> Any:
        # The hot path of the whole framework. One Variable in and one array out (most calls) take
        # the inlined branch: a comprehension, an f(*args) call or a method call each costs about
        # as much as the rest of that branch, and on tiny arrays the bookkeeping is the cost.
        if len(inputs) != 1 or not isinstance(inputs[0], Variable):
            return self._call(inputs)
        x = inputs[0]
        data = x.data
        ops = _ops_by_type.get(type(data)) or _ops_of(data)
        try:
            y = self.forward(ops, data)
        except (ValueError, TypeError, IndexError) as exc:
            raise _annotate(exc, self, inputs) from exc
        if type(y) is tuple:
            return self._wrap_outputs(inputs, ops, data, y)
        record = x.requires_grad and ENABLE_BACKPROP.get()
        out = _new_variable(y if type(y) is type(data) else ops.backend.asarray(y), record)
        if record:  # _record, inlined
            self.generation = x.generation
            self.inputs = inputs
            self.needs_grad = _ONE_NEEDED
            self.outputs = (weakref.ref(out),)
            out.creator = self
            out.generation = x.generation + 1
        if forward_hooks:
            _run_hooks(self, inputs, (out,))
        return out

    def _call(self, inputs: tuple[Any, ...]) -> Any:
        """``__call__`` for any number of inputs, some of them raw arrays or Python scalars."""
        xs = tuple([x if isinstance(x, Variable) else _constant(x, inputs) for x in inputs])
        data = [x.data for x in xs]
        ops = _ops_by_type.get(type(data[0])) or _ops_of(data[0])
        for d in data:
            if type(d) is not type(data[0]) and (_ops_by_type.get(type(d)) or _ops_of(d)) is not ops:
                raise _mixed_backends(self, xs)
        try:
            ys = self.forward(ops, *data)
        except (ValueError, TypeError, IndexError) as exc:
            raise _annotate(exc, self, xs) from exc
        return self._wrap_outputs(xs, ops, data[0], ys)

    def _wrap_outputs(self, xs: tuple[Variable, ...], ops: Any, data: Any, ys: Any) -> Any:
        """Wrap the forward's array(s) in Variables and record the graph when needed."""
        record = any([x.requires_grad for x in xs]) and ENABLE_BACKPROP.get()
        array_type = type(data)  # a result of another type (numpy's scalars) becomes an array
        single = type(ys) is not tuple
        outputs = tuple([_new_variable(y if type(y) is array_type else ops.backend.asarray(y), record)
                         for y in ((ys,) if single else ys)])
        if record:
            self._record(xs, outputs)
        if forward_hooks:
            _run_hooks(self, xs, outputs)
        return outputs[0] if single else outputs

    def _record(self, xs: tuple[Variable, ...], outputs: tuple[Variable, ...]) -> None:
        """Link the outputs to this function, and this function to its inputs."""
        self.generation = max([x.generation for x in xs])
        self.inputs = xs
        self.needs_grad = tuple([x.requires_grad for x in xs])
        # weak references: the graph must not keep outputs (and their arrays) alive
        self.outputs = tuple([weakref.ref(out) for out in outputs])
        for out in outputs:
            out.creator = self
            out.generation = self.generation + 1

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


def _run_hooks(fn: Function, xs: tuple, outputs: tuple) -> None:
    for hook in forward_hooks:
        hook(fn, xs, outputs)


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
        new = type(exc)(message)
    except Exception:
        new = ValueError(message)
    new._dezero_annotated = True  # type: ignore[attr-defined]
    return new
