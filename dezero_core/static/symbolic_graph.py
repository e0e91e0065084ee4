"""``dz.compile(symbols)``: a graph defined symbolically, called with its inputs by name."""
from __future__ import annotations

from typing import Any, Sequence

from dezero_core.backend.selection import backend_of
from dezero_core.graph.variable import Variable, _new_variable
from dezero_core.static.build import build_graph
from dezero_core.static.executor import Executor
from dezero_core.static.ir import Graph, Value
from dezero_core.static.symbolic import Symbol, dtype_name


class SymbolicFunction:
    """A compiled graph called with its inputs: ``f(a=..., b=...)`` (or positionally, in
    ``f.input_names`` order). Returns a Variable for one output, a tuple for a list of symbols (a
    loaded traced function returns what the function returned)."""

    #: a loaded function's: the saving thread's random generators' state (``dz.random.set_state``)
    random_state: dict[str, Any] | None = None

    def __init__(self, outputs: "Symbol | Sequence[Symbol]", passes: Any = None) -> None:
        from dezero_core.static.passes import run_passes

        single = isinstance(outputs, Symbol)
        symbols = [outputs] if single else list(outputs)
        graph = build_graph([s.data.value for s in symbols])
        graph.output_structure = "single" if single else "tuple"
        self.graph: Graph = run_passes(graph, passes)
        self._executors: dict[int, Executor] = {}

    @classmethod
    def from_graph(cls, graph: Graph) -> "SymbolicFunction":
        """A callable over an existing graph (a loaded one)."""
        f = cls.__new__(cls)
        f.graph = graph
        f._executors = {}
        return f

    def save(self, path: str) -> None:
        """Save the graph and its weights (see :mod:`dezero_core.static.save`)."""
        from dezero_core.static.save import save_compiled

        save_compiled(self.graph, path)

    @property
    def parameters(self) -> dict[str, Variable]:
        """The Variables the graph reads or writes the gradient of, by their names in the graph
        (``l0/W``): a loaded model's weights, which a loaded training step updates."""
        found = {v.name: v.source for v in self.graph.params if isinstance(v.source, Variable)}
        for node in self.graph.nodes:
            if node.kind == "set_grad":
                found.setdefault(node.attrs.get("name") or node.fn.name or f"p{len(found)}", node.fn)
        return found

    @property
    def optimizers(self) -> list[Any]:
        """The optimizers a training step updates with (each once, in the order they run)."""
        found: list[Any] = []
        for node in self.graph.nodes:
            if node.kind == "update" and all(node.fn is not o for o in found):
                found.append(node.fn)
        return found

    @property
    def input_names(self) -> list[str]:
        """The graph's inputs, in positional order."""
        return [v.name for v in self.graph.inputs]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        arrays = self._bind(args, kwargs)
        if arrays:
            backend = backend_of(arrays[0])
        else:
            from dezero_core.static.tracing import _graph_backend

            backend = _graph_backend(self.graph)
        ex = self._executors.get(id(backend))
        if ex is None:
            ex = self._executors[id(backend)] = Executor(self.graph, backend)
        outs = [a if type(a) is ex.array_type else backend.asarray(a) for a in ex.run(arrays)]
        structure = self.graph.output_structure
        if structure == "single":
            return _new_variable(outs[0], False)
        if structure == "tuple":
            return tuple(_new_variable(a, False) for a in outs)
        from dezero_core.static.tracing import _unflatten

        return _unflatten(structure, iter(outs))

    def _bind(self, args: tuple, kwargs: dict) -> list[Any]:
        """The input arrays in graph order; errors name the symbol and what it expects."""
        inputs = self.graph.inputs
        names = [v.name for v in inputs]
        if len(args) > len(inputs):
            raise TypeError(f"compiled graph takes {len(inputs)} input(s) ({', '.join(names) or 'none'}), "
                            f"got {len(args)} positional arguments")
        given: dict[str, Any] = dict(zip(names, args))
        for k, a in kwargs.items():
            if k not in names:
                import difflib

                close = difflib.get_close_matches(k, names, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(f"compiled graph has no input named {k!r}; its inputs are "
                                f"{', '.join(names) or 'none'}.{hint}")
            if k in given:
                raise TypeError(f"compiled graph got input {k!r} twice (positionally and by name)")
            given[k] = a
        missing = [n for n in names if n not in given]
        if missing:
            raise TypeError(f"compiled graph is missing input(s) {', '.join(missing)}: call it with "
                            + ", ".join(f"{n}=<array>" for n in names))
        return [_check(v, given[v.name]) for v in inputs]


def _check(v: Value, a: Any) -> Any:
    """``a`` as an array that symbol ``v`` allows (its declared shape and dtype)."""
    if isinstance(a, Variable):
        a = a.data
    if isinstance(a, (bool, int, float)):
        from dezero_core.backend.selection import get_backend

        a = get_backend().asarray(a, dtype=None if v.dtype is None else getattr(get_backend().xp, v.dtype))
    if not (hasattr(a, "shape") and hasattr(a, "dtype")):
        raise TypeError(f"input {v.name!r} takes an array, got {type(a).__name__}")
    if v.shape is not None:
        shape = tuple(a.shape)
        if len(shape) != len(v.shape) or any(d is not None and d != s for d, s in zip(v.shape, shape)):
            want = "(" + ", ".join("any" if d is None else str(d) for d in v.shape) + ")"
            raise ValueError(f"input {v.name!r} expects shape {want}, got {shape}")
    if v.dtype is not None and dtype_name(a.dtype) != v.dtype:
        raise TypeError(f"input {v.name!r} expects dtype {v.dtype}, got {dtype_name(a.dtype)}; cast it with astype")
    return a
