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

from dezero_core.backend.selection import _by_type, backend_of
from dezero_core.config import ENABLE_BACKPROP
from dezero_core.graph.variable import Variable, _new_variable

#: callables ``hook(function, inputs, outputs)`` run after every forward (anomaly detection,
#: profiling, graph capture for Define-and-Run). Empty in normal use, so the check costs one test.
forward_hooks: list[Callable[["Function", tuple, tuple], None]] = []

_SCALAR_TYPES = (int, float, bool)


class Function:
    """A differentiable operation: ``forward`` on arrays, ``backward`` on arrays or Variables.

    After a recorded call, ``inputs`` holds the input Variables, ``outputs`` weak references to the
    outputs, ``generation`` the position in the graph and ``needs_grad`` which inputs need a
    gradient (a backward may skip the others; the engine ignores what it returns for them).
    """

    inputs: tuple[Variable, ...] | None = None
    outputs: list[weakref.ref] | None = None
    generation: int = 0
    needs_grad: tuple[bool, ...] = ()

    def __call__(self, *inputs: Any) -> Any:
        # The hot path of the whole framework: plain loops, no generator expressions.
        xs = tuple([x if isinstance(x, Variable) else _constant(x, inputs) for x in inputs])
        data = [x.data for x in xs]
        first = type(data[0])
        backend = _by_type.get(first) or backend_of(data[0])
        if len(data) > 1:
            for d in data:
                if type(d) is not first and (_by_type.get(type(d)) or backend_of(d)) is not backend:
                    raise _mixed_backends(self, xs)
        try:
            ys = self.forward(backend.ops, *data)
        except (ValueError, TypeError, IndexError) as exc:
            raise _annotate(exc, self, xs) from exc
        record = False
        if ENABLE_BACKPROP.get():
            for x in xs:
                if x.requires_grad:
                    record = True
                    break
        array_type = backend._array_type
        if type(ys) is not tuple:
            out = _new_variable(ys if type(ys) is array_type else backend.asarray(ys), record)
            if record:
                self._record(xs, (out,))
            if forward_hooks:
                _run_hooks(self, xs, (out,))
            return out
        outputs = tuple([_new_variable(y if type(y) is array_type else backend.asarray(y), record) for y in ys])
        if record:
            self._record(xs, outputs)
        if forward_hooks:
            _run_hooks(self, xs, outputs)
        return outputs

    def _record(self, xs: tuple[Variable, ...], outputs: tuple[Variable, ...]) -> None:
        generation = xs[0].generation
        for x in xs:
            if x.generation > generation:
                generation = x.generation
        self.generation = generation
        for out in outputs:
            out.creator = self
            out.generation = generation + 1
        self.inputs = xs
        self.needs_grad = tuple([x.requires_grad for x in xs])
        self.outputs = [weakref.ref(out) for out in outputs]

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


def _describe(xs: tuple[Variable, ...]) -> str:
    return ", ".join(f"{tuple(x.shape)} {x.dtype}" for x in xs)


def _mixed_backends(fn: Function, xs: tuple[Variable, ...]) -> TypeError:
    names = [f"input {i} on {backend_of(x.data).name} (shape {tuple(x.shape)})" for i, x in enumerate(xs)]
    return TypeError(
        f"{fn.name}: inputs live on different backends: {'; '.join(names)}. Move them to one backend "
        f"first with Variable.to(name) (or to_cpu()/to_gpu(); Layer.to(name) for a whole model)."
    )


def _annotate(exc: Exception, fn: Function, xs: tuple[Variable, ...]) -> Exception:
    """The same exception type, with the operation's name and the input shapes and dtypes."""
    if getattr(exc, "_dezero_annotated", False):
        return exc
    message = f"{fn.name}: {exc} (inputs: {_describe(xs)})"
    try:
        new = type(exc)(message)
    except Exception:
        new = ValueError(message)
    new._dezero_annotated = True  # type: ignore[attr-defined]
    return new
