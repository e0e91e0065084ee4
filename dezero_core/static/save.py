"""Saving a compiled graph with its weights, and loading it in a process that never defined it.

One file in the weights format of the project (safetensors: numbers only, never code): the arrays as
tensors and the IR as JSON in the file's metadata. What is saved:

- the graph: inputs, nodes, outputs, memory plan; a function is its class's ``module:qualname`` plus
  its attributes (plain data, tuples, arrays, and objects of trusted classes holding those). The
  branches of ``dz.cond`` / ``dz.while_loop`` are graphs inside their node's attributes, saved the
  same way;
- the Variables it reads or writes: parameters with their values (one entry each, however many
  graphs read it), and the gradient a parameter holds where the step adds to it (no
  ``cleargrads()`` in the traced step);
- a training step's optimizers: class, hyperparameters, step count ``t``, per-parameter state
  (Adam's moments), hooks (``WeightDecay``, ``ClipGrad``, ``FreezeParam``: objects holding data),
  and the names of the parameters it updates. A loaded step continues training exactly where the saved one was.

- the state of the saving thread's random generators (``dz.random.get_state()``) as
  ``f.random_state`` of the loaded function. Loading does not restore it (that would change the
  loading process's streams); ``dz.random.set_state(f.random_state)`` does, so that a step with
  dropout draws what the saved one would have drawn next.

Not saved: the model's Python class (a loaded function is the graph: its parameters are
``f.parameters``, its optimizers ``f.optimizers``); hooks that are code (a lambda, a function):
saving refuses them, naming them.

Loading imports a class only from dezero_core and from packages that register dezero plugins (a
forged file cannot make the loader import anything else); a function's class must be a
``Function``, an optimizer's an ``Optimizer``. A class that cannot be imported (a plugin that is not
installed) is an error that names it.
"""
from __future__ import annotations

import importlib
import json
import os
import types
from typing import Any, Iterator

from dezero_core.functions.discrete import Comparison
from dezero_core.functions.elementwise import Where, select
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.optimizers.optimizer import Optimizer
from dezero_core.static.ir import Buffer, Graph, Node, Value, function_attrs
from dezero_core.static.symbolic import GradHolder, LayerState, Symbol

FORMAT = "dezero-static-graph"
VERSION = "2"
#: versions this loader reads (1: forward graphs only, each parameter stored in its leaf)
READS = ("1", "2")


class GraphFileError(ValueError):
    """A saved graph that cannot be loaded; the message names the file and the cause."""


class SavedParameters:
    """The target of a loaded optimizer: the parameters it updates, by the names they had in the model
    (its state is keyed by them). It stands in for the model, whose class is not saved."""

    def __init__(self, named: list[tuple[str, Parameter]]) -> None:
        self._named = named

    def named_param_list(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, in the model's order (shared: do not modify)."""
        return self._named

    def named_params(self) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs."""
        return iter(self._named)

    def params(self) -> Iterator[Parameter]:
        """The parameters."""
        return (p for _, p in self._named)

    def cleargrads(self) -> None:
        """Drop every parameter's gradient."""
        for p in self.params():
            p.cleargrad()


# -- saving ---------------------------------------------------------------------------------------
def _is_code(value: Any) -> bool:
    return isinstance(value, (types.FunctionType, types.MethodType, types.BuiltinFunctionType, type,
                              types.ModuleType))


def _state_of(obj: Any) -> dict:
    """The attributes an object is saved with: ``__getstate__()`` where its class defines one (to leave
    out what is rebuilt), else ``vars(obj)``."""
    getstate = getattr(type(obj), "__getstate__", None)
    if getstate is not None and getstate is not getattr(object, "__getstate__", None):
        return obj.__getstate__()
    return vars(obj)


def _target(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


class _Writer:
    """Encodes graphs into JSON, collecting arrays, functions, Variables and optimizers in tables (each
    object once: what several graphs or nodes share stays shared when loaded)."""

    def __init__(self) -> None:
        self.arrays: dict[str, Any] = {}
        self._array_keys: dict[int, str] = {}
        self.functions: list[Any] = []
        self.variables: list[Variable] = []
        self.optimizers: list[Any] = []
        self._index: dict[int, int] = {}  # id(function / variable / optimizer) -> its place in its table
        self._grads: set[int] = set()  # variables whose gradient a graph reads (accumulating steps)

    def _add(self, table: list, obj: Any) -> int:
        if id(obj) not in self._index:
            self._index[id(obj)] = len(table)
            table.append(obj)
        return self._index[id(obj)]

    def array(self, key: str, a: Any) -> dict:
        if id(a) not in self._array_keys:
            self._array_keys[id(a)] = key
            self.arrays[key] = a
        return {"array": self._array_keys[id(a)]}

    def encode(self, value: Any, where: str) -> Any:
        """A JSON form of ``value``; ``where`` names it in errors and array keys."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, Symbol):
            raise TypeError(f"cannot save {where}: it holds a symbol of a graph being defined")
        if isinstance(value, Variable):
            return {"variable": self._add(self.variables, value)}
        if isinstance(value, LayerState):
            raise TypeError(f"cannot save {where}: the graph carries {type(value.layer).__name__}.{value.attr} "
                            f"from one call to the next, and a loaded graph has no layer to keep it in. Save a "
                            f"function that takes the state as an argument and returns the new state")
        if isinstance(value, GradHolder):
            self._grads.add(self._add(self.variables, value.holder))
            return {"grad_of": self._index[id(value.holder)]}
        if isinstance(value, Function):
            return {"function": self._add(self.functions, value)}
        if isinstance(value, Optimizer):
            return {"optimizer": self._add(self.optimizers, value)}
        if isinstance(value, Graph):
            return {"graph": self.graph(value, where)}
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            return self.array(where, value)
        if isinstance(value, tuple):
            return {"tuple": [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"dict": {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}}
        if isinstance(value, slice):
            return {"slice": [value.start, value.stop, value.step]}
        if value is Ellipsis:  # basic indexing keys (x[0] is get_item with (0, ...))
            return {"ellipsis": True}
        if _is_code(value):
            raise TypeError(f"cannot save {where}: {getattr(value, '__qualname__', value)!r} is code, not data. "
                            f"Only data is saved (no pickle): use an object of a class (as WeightDecay(rate) "
                            f"for a hook) instead of a function")
        if type(value).__module__ == "builtins" or not hasattr(value, "__dict__"):
            raise TypeError(f"cannot save {where}: a {type(value).__name__} is not data (save supports "
                            f"numbers, strings, tuples, lists, dicts, slices, Ellipsis, arrays and plain objects of those)")
        return {"object": _target(value),
                "attrs": {k: self.encode(v, f"{where}.{k}") for k, v in _state_of(value).items()}}

    def graph(self, graph: Graph, where: str = "graph") -> dict:
        """The JSON description of ``graph`` (its functions, Variables and optimizers go to the tables)."""
        nodes = []
        for i, node in enumerate(graph.nodes):
            nodes.append({
                "kind": node.kind, "fn": self.encode(node.fn, f"{where}.node{i}.fn"),
                "inputs": [None if v is None else v.id for v in node.inputs],
                "outputs": [_value_json(v) for v in node.outputs],
                "attrs": self.encode(node.attrs, f"{where}.node{i}.attrs"),
                "out": list(node.out), "inplace": node.inplace, "free_after": [v.id for v in node.free_after],
            })
        leaves = []
        for v in graph.params + graph.consts:
            entry = _value_json(v)
            entry["value"] = self.encode(v.source, f"{where}.{v.kind}.{v.name}")
            leaves.append(entry)
        return {
            "inputs": [_value_json(v) for v in graph.inputs],
            "leaves": leaves,
            "nodes": nodes,
            "outputs": [v.id for v in graph.outputs],
            "buffers": [{"shape": list(b.shape), "dtype": b.dtype} for b in graph.buffers],
            "output_structure": _structure_json(graph.output_structure),
        }

    def tables(self) -> dict:
        """The functions, optimizers and Variables met so far (encoding one may meet more)."""
        functions: list[dict] = []
        optimizers: list[dict] = []
        while len(functions) < len(self.functions) or len(optimizers) < len(self.optimizers):
            for i in range(len(functions), len(self.functions)):
                fn = self.functions[i]
                attrs = {k: v for k, v in function_attrs(fn).items() if not k.startswith("_")}
                functions.append({"target": _target(fn), "attrs": self.encode(attrs, f"fn{i}.{type(fn).__name__}")})
            for i in range(len(optimizers), len(self.optimizers)):
                optimizers.append(self.optimizer(self.optimizers[i], f"opt{i}.{type(self.optimizers[i]).__name__}"))
        variables = []
        for i, var in enumerate(self.variables):
            grad = var._grad.data if isinstance(var._grad, Variable) else var._grad
            variables.append({
                "class": "Parameter" if isinstance(var, Parameter) else "Variable", "name": var.name,
                "requires_grad": var.requires_grad,
                "data": self.array(f"var{i}.data", var.data),
                "grad": self.array(f"var{i}.grad", grad) if i in self._grads and grad is not None else None})
        return {"functions": functions, "optimizers": optimizers, "variables": variables}

    def optimizer(self, opt: Any, where: str) -> dict:
        """An optimizer: class, the parameters it updates by name, everything else it holds (hooks,
        ``t``, hyperparameters, state); private attributes are caches it rebuilds."""
        target = opt.target
        if target is None:
            raise TypeError(f"cannot save {where}: the optimizer has no target (call setup(model) first)")
        named = target.named_param_list() if hasattr(target, "named_param_list") else list(target.named_params())
        attrs = {k: v for k, v in vars(opt).items() if k != "target" and not k.startswith("_")}
        return {"target": _target(opt),
                "params": [[name, self._add(self.variables, p)] for name, p in named],
                "attrs": self.encode(attrs, where)}


def graph_to_json(graph: Graph) -> tuple[dict, dict[str, Any]]:
    """``(JSON-able description, arrays by key)`` of ``graph``, with the random generators' state."""
    from dezero_core import random

    w = _Writer()
    description = {"format": FORMAT, "version": VERSION, **w.graph(graph)}
    description.update(w.tables())
    description["random"] = w.encode(random.get_state(), "random")
    return description, w.arrays


def _value_json(v: Value) -> dict:
    return {"id": v.id, "kind": v.kind, "name": v.name, "dtype": v.dtype, "requires_grad": v.requires_grad,
            "shape": None if v.shape is None else list(v.shape)}


def _structure_json(structure: Any) -> Any:
    if isinstance(structure, str):
        return structure
    kind, body = structure
    if kind in ("list", "tuple"):
        return [kind, [_structure_json(s) for s in body]]
    if kind == "dict":
        return [kind, [[k, _structure_json(s)] for k, s in body]]
    if kind == "const" and not (body is None or isinstance(body, (bool, int, float, str))):
        raise TypeError(f"cannot save a function that returns a {type(body).__name__} constant")
    return [kind, body]


def save_compiled(graph: Graph, path: "str | os.PathLike[str]") -> None:
    """Write ``graph``, its weights and its optimizers' state to ``path`` (one safetensors file;
    written atomically). See the module docstring for what is saved."""
    from dezero_core.serialization import save_arrays

    description, arrays = graph_to_json(graph)
    save_arrays(path, arrays, {"format": FORMAT, "graph": json.dumps(description)})


# -- loading --------------------------------------------------------------------------------------
#: Built-in classes that moved when dezero_core.functions was grouped by concept: files saved before
#: name them by their old module, and still load.
_MOVED = {f"dezero_core.functions.{old}:{name}": f"dezero_core.functions.{new}:{name}"
          for old, new, names in (("math", "elementwise", "Abs Clip Erf Maximum Minimum Sqrt Where"),
                                  ("reduction", "reductions", "Sum"),
                                  ("statistics", "reductions", "LogSumExp Max Mean Min Var"),
                                  ("shape", "indexing", "GetItem GetItemGrad"),
                                  ("shape_ops", "joining", "Concat Pad Split Stack"))
          for name in names.split()}
_MOVED["dezero_core.static.control:Compare"] = "dezero_core.static.save:Compare"


class Compare(Comparison):
    """A comparison of symbols in a file saved when ``x > 0`` had an op of its own (``op``, the array
    API's name, an attribute of each node): loads as the comparison functions' op it was."""

    scalar = None
    scalar_first = False


def _import(target: str, path: str, base: type | None = None) -> type:
    """The class ``module:qualname`` names, from dezero_core or a package that registers dezero entry
    points, and a subclass of ``base`` when given. A file is not trusted: it must not make the loader
    import an arbitrary module (importing runs the module's code) or build an arbitrary object."""
    module, _, qualname = _MOVED.get(target, target).partition(":")
    package = module.split(".")[0]
    if package not in _trusted_packages():
        raise GraphFileError(f"{path}: the graph needs {target}, but {package} is neither dezero_core nor an "
                             f"installed package that registers dezero plugins. Install the distribution (plugin) "
                             f"that provides {package}; nothing else is imported from a graph file (importing a "
                             f"module runs its code, and a file may be forged)")
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise GraphFileError(f"{path}: the graph needs {target}, which cannot be imported ({type(exc).__name__}: "
                             f"{exc}). Install the distribution (plugin) that provides {package}.") from None
    if not isinstance(obj, type) or (base is not None and not issubclass(obj, base)):
        kind = "a class" if base is None else f"{'an' if base.__name__[0] in 'AEIOU' else 'a'} {base.__name__} class"
        raise GraphFileError(f"{path}: the graph names {target!r}, which is not {kind}")
    return obj


def _trusted_packages() -> set[str]:
    """dezero_core and the top-level packages behind any installed ``dezero.*`` entry point."""
    from dezero_core.discovery.metadata import installed_entry_points

    return {"dezero_core"} | {ep.value.split(":")[0].split(".")[0] for ep in installed_entry_points("dezero.")}


def _set_state(obj: Any, state: dict) -> None:
    """The inverse of :func:`_state_of`: ``__setstate__`` where the class defines one."""
    setstate = getattr(type(obj), "__setstate__", None)
    if setstate is not None:
        obj.__setstate__(state)
    else:
        obj.__dict__.update(state)
    if type(obj) is Where and "condition" in state:  # saved when the condition was an attribute
        obj.__class__ = WhereOfConstantCondition


class WhereOfConstantCondition(Function):
    """``where(condition, a, b)`` with the condition an attribute and two inputs, as files saved before
    the condition became an input hold it: such a file's ``Where`` nodes load as this."""

    def forward(self, xp, a, b):
        return xp.where(self.condition, a, b)

    def backward(self, xp, xs, y, gy):
        a, b = xs
        ga = xp.sum_to(select(xp, self.condition, gy), a.shape) if self.needs_grad[0] else None
        gb = xp.sum_to(xp.where(self.condition, 0, gy), b.shape) if self.needs_grad[1] else None
        return ga, gb


class _Reader:
    """Decodes what :class:`_Writer` encoded: first the tables (each object made once), then graphs."""

    def __init__(self, description: dict, arrays: dict[str, Any], path: str) -> None:
        self.arrays, self.path = arrays, path
        self.variables: list[Variable] = []
        self.functions: list[Any] = []
        self.optimizers: list[Any] = []
        self.variables = [self._variable(e) for e in description.get("variables", [])]
        # functions and optimizers are made empty first: their attributes may refer to each other
        self.functions = [self._new(f["target"], Function) for f in description["functions"]]
        optimizers = description.get("optimizers", [])
        self.optimizers = [self._new(o["target"], Optimizer) for o in optimizers]
        for fn, entry in zip(self.functions, description["functions"]):
            _set_state(fn, self.decode(entry["attrs"]))
        for opt, entry in zip(self.optimizers, optimizers):
            _set_state(opt, self.decode(entry["attrs"]))
            opt.target = SavedParameters([(name, self.variables[i]) for name, i in entry["params"]])

    def _new(self, target: str, base: type | None) -> Any:
        cls = _import(target, self.path, base)
        return cls.__new__(cls)

    def _variable(self, entry: dict) -> Variable:
        cls = Parameter if entry["class"] == "Parameter" else Variable
        var = cls(self.decode(entry["data"]), name=entry["name"])
        var.requires_grad = entry["requires_grad"]
        if entry.get("grad") is not None:
            var.grad = self.decode(entry["grad"])
        return var

    def decode(self, value: Any) -> Any:
        """The value :meth:`_Writer.encode` encoded."""
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "object" in value:
            obj = self._new(value["object"], None)
            _set_state(obj, {k: self.decode(v) for k, v in value["attrs"].items()})
            return obj
        if len(value) != 1:
            raise GraphFileError(f"{self.path}: unknown attribute encoding {sorted(value)}")
        (kind, body), = value.items()
        table = {"variable": self.variables, "function": self.functions, "optimizer": self.optimizers}.get(kind)
        try:
            if kind == "array":
                return self.arrays[body]
            if table is not None:
                return table[body]
            if kind == "grad_of":
                return GradHolder(self.variables[body])
        except (KeyError, IndexError, TypeError):
            raise GraphFileError(f"{self.path}: the {kind} {body!r} is missing from the file") from None
        if kind == "graph":
            return self.graph(body)
        if kind == "tuple":
            return tuple(self.decode(v) for v in body)
        if kind == "dict":
            return {k: self.decode(v) for k, v in body.items()}
        if kind == "slice":
            return slice(*body)
        if kind == "ellipsis":
            return Ellipsis
        raise GraphFileError(f"{self.path}: unknown attribute encoding {kind!r}")

    def graph(self, description: dict) -> Graph:
        """A :class:`Graph` from its description."""
        values: dict[int, Value] = {}

        def value(entry: dict, producer: Node | None = None, index: int = 0) -> Value:
            v = Value(entry["kind"], entry["name"], None if entry["shape"] is None else tuple(entry["shape"]),
                      entry["dtype"], entry["requires_grad"], producer, index)
            values[entry["id"]] = v
            return v

        inputs = [value(e) for e in description["inputs"]]
        params, consts = [], []
        for e in description["leaves"]:
            v = value(e)
            v.source = self.decode(e["value"])
            if v.kind == "param" and not isinstance(v.source, Variable):  # version 1: the array itself
                v.source = Parameter(v.source, name=v.name)
            (params if v.kind in ("param", "state") else consts).append(v)
        nodes = []
        for n in description["nodes"]:
            attrs = self.decode(n["attrs"])
            if "needs_grad" in attrs:
                attrs["needs_grad"] = tuple(attrs["needs_grad"])
            fn = self.functions[n["fn"]] if isinstance(n["fn"], int) else self.decode(n["fn"])  # int: version 1
            node = Node(n["kind"], fn, [None if i is None else values[i] for i in n["inputs"]], [],
                        attrs, list(n["out"]), n["inplace"])
            node.outputs = [value(e, node, k) for k, e in enumerate(n["outputs"])]
            node.free_after = [values[i] for i in n["free_after"]]
            nodes.append(node)
        graph = Graph(inputs, params, consts, nodes, [values[i] for i in description["outputs"]],
                      [Buffer(tuple(b["shape"]), b["dtype"]) for b in description["buffers"]],
                      _structure_from_json(description["output_structure"]))
        graph.verify()
        return graph


def graph_from_json(description: dict, arrays: dict[str, Any], path: str = "<graph>") -> Graph:
    """The :class:`Graph` :func:`graph_to_json` described (new Parameters, functions and optimizers)."""
    return _Reader(description, arrays, path).graph(description)


def _structure_from_json(s: Any) -> Any:
    if isinstance(s, str):
        return s
    kind, body = s
    if kind in ("list", "tuple"):
        return (kind, [_structure_from_json(x) for x in body])
    if kind == "dict":
        return (kind, [(k, _structure_from_json(x)) for k, x in body])
    return (kind, body)


def load_compiled(path: "str | os.PathLike[str]") -> Any:
    """A compiled function saved with ``f.save(path)``: call it with the graph's inputs (by name or in
    order). Weights go to the current backend. A loaded training step trains its own parameters
    (``f.parameters``) with its own optimizers (``f.optimizers``)."""
    from dezero_core.fileformats import FileFormatError, safetensors
    from dezero_core.serialization import decode_array, read_bytes
    from dezero_core.static.symbolic_graph import SymbolicFunction

    name = os.fspath(path)
    try:
        metadata, items = safetensors.read(read_bytes(name))
    except FileFormatError as exc:
        raise GraphFileError(f"cannot load a compiled graph from {name}: it {exc}") from None
    if metadata.get("format") != FORMAT or "graph" not in metadata:
        raise GraphFileError(f"{name} is not a saved compiled graph (no {FORMAT} metadata): save one with "
                             f"f.save(path) on a compiled function")
    description = json.loads(metadata["graph"])
    if description.get("version") not in READS:
        raise GraphFileError(f"{name} holds a graph of format version {description.get('version')}; this "
                             f"version of dezero-core reads versions {', '.join(READS)}")
    arrays = {key: decode_array(item) for key, item in items.items()}
    reader = _Reader(description, arrays, name)
    f = SymbolicFunction.from_graph(reader.graph(description))
    f.random_state = reader.decode(description.get("random"))
    return f
