"""The namespaces that ``Function.forward`` and ``Function.backward`` compute with.

Every function writes its math once against a namespace ``xp``. Called with :class:`ArrayOps`, that
math runs on raw arrays (the fast path, and a pure array-level backward that a static graph can
replay). Called with :class:`DifferentiableOps` during ``backward(create_graph=True)``, the same
code records a graph of differentiable functions, which is what makes higher-order gradients work.
"""
from __future__ import annotations

from typing import Any

#: backend methods reachable as ``xp.<name>`` beside the array-API namespace
EXTRAS = ("scatter_add", "sum_to", "im2col", "col2im", "erf")


class ArrayOps:
    """The array-API namespace of one backend plus the protocol's extras, on raw arrays."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._xp = backend.xp
        self._fast = backend.fast_functions()

    def __getattr__(self, name: str) -> Any:
        if name in EXTRAS:
            target = getattr(self.backend, name)
        else:
            target = self._fast.get(name) or getattr(self._xp, name)
        self.__dict__[name] = target  # cache: forward/backward look names up on every call
        return target

    def __repr__(self) -> str:
        return f"<ArrayOps of {self.backend.name}>"


class DifferentiableOps:
    """The same names as :class:`ArrayOps`, but on Variables, recording the graph.

    Names with a differentiable function in :mod:`dezero_core.functions` map to it. Anything else
    (``zeros_like``, comparisons, dtypes) is not differentiable: it runs on the arrays and its result
    is a constant.
    """

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._xp = backend.ops

    def __getattr__(self, name: str) -> Any:
        from dezero_core import functions

        if name.startswith(("float", "int", "uint", "bool", "complex")):
            target = getattr(self._xp, name)  # a dtype (numpy's are callable types): never wrapped
        elif name in NON_DIFFERENTIABLE:
            raw = getattr(self._xp, name)
            target = _constant(raw) if callable(raw) else raw
        else:
            target = getattr(functions, name, None)
            if target is None:
                raise AttributeError(
                    f"no differentiable function {name!r}: a backward used xp.{name}, which "
                    f"create_graph=True needs in dezero_core.functions (or in NON_DIFFERENTIABLE)"
                )
        self.__dict__[name] = target
        return target


#: names whose results carry no gradient: computed on arrays, returned as constants
NON_DIFFERENTIABLE = frozenset({
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like", "arange",
    "eye", "asarray", "argmax", "argmin", "sign", "isnan", "isinf", "isfinite", "less", "less_equal",
    "greater", "greater_equal", "equal", "not_equal", "logical_and", "logical_or", "logical_not",
    "finfo", "iinfo", "backend",
})


def _constant(raw: Any) -> Any:
    from dezero_core.graph.variable import Variable

    def call(*args: Any, **kwargs: Any) -> Any:
        args = tuple(a.data if isinstance(a, Variable) else a for a in args)
        kwargs = {k: v.data if isinstance(v, Variable) else v for k, v in kwargs.items()}
        out = raw(*args, **kwargs)
        return Variable(out, requires_grad=False) if hasattr(out, "shape") else out

    call.__name__ = getattr(raw, "__name__", "constant")
    return call
