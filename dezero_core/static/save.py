"""Saving a compiled graph with its weights, and loading it in a process that never defined it.

One file in the weights format of the project (safetensors: numbers only, never code): the arrays
(parameters, constants, array attributes of the functions) as tensors, and the IR as JSON in the
file's metadata. A function is saved as its class's ``module:qualname`` plus its attributes (plain
data, tuples, arrays, and plain objects holding those); loading imports the class and sets the
attributes, nothing else runs. Only classes of dezero_core and of packages that register dezero
plugins are imported (a forged file cannot make the loader import anything else), and a function's
class must be a ``Function``. A class that cannot be imported (a plugin that is not installed) is an
error that names it. Graphs that write into a live model (gradient writes, optimizer updates)
are not saved: save the forward (``dz.static.trace(model, x)``, or a compiled inference function).
"""
from __future__ import annotations

import importlib
import json
import os
from typing import Any

from dezero_core.graph.function import Function
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.static.ir import Buffer, Graph, Node, Value, function_attrs

FORMAT = "dezero-static-graph"
VERSION = "1"


class GraphFileError(ValueError):
    """A saved graph that cannot be loaded; the message names the file and the cause."""


# -- saving ---------------------------------------------------------------------------------------
class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, Any] = {}

    def array(self, key: str, a: Any) -> dict:
        self.arrays[key] = a
        return {"array": key}

    def encode(self, value: Any, where: str) -> Any:
        """A JSON form of an attribute value; ``where`` names it in errors and array keys."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
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
        if type(value).__module__ == "builtins" or not hasattr(value, "__dict__") or callable(value):
            raise TypeError(f"cannot save {where}: a {type(value).__name__} is not data (save supports "
                            f"numbers, strings, tuples, lists, dicts, slices, Ellipsis, arrays and plain objects of those)")
        cls = type(value)
        return {"object": f"{cls.__module__}:{cls.__qualname__}",
                "attrs": {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}}


def graph_to_json(graph: Graph) -> tuple[dict, dict[str, Any]]:
    """``(JSON-able description, arrays by key)`` of ``graph``."""
    w = _Writer()
    functions: list[Any] = []
    fn_index: dict[int, int] = {}
    nodes = []
    for node in graph.nodes:
        if node.kind not in ("call", "backward"):
            raise TypeError(f"cannot save a graph with a {node.op} node: it writes into a live model or optimizer. "
                            f"Save the forward pass instead (dz.static.trace(model, x) or a compiled inference "
                            f"function)")
        if id(node.fn) not in fn_index:
            fn_index[id(node.fn)] = len(functions)
            functions.append(node.fn)
        nodes.append({
            "kind": node.kind, "fn": fn_index[id(node.fn)],
            "inputs": [None if v is None else v.id for v in node.inputs],
            "outputs": [_value_json(v) for v in node.outputs],
            "attrs": w.encode(node.attrs, f"node{len(nodes)}.attrs"),
            "out": list(node.out), "inplace": node.inplace, "free_after": [v.id for v in node.free_after],
        })
    fns = []
    for i, fn in enumerate(functions):
        cls = type(fn)
        attrs = {k: v for k, v in function_attrs(fn).items() if not k.startswith("_")}
        fns.append({"target": f"{cls.__module__}:{cls.__qualname__}",
                    "attrs": w.encode(attrs, f"fn{i}.{cls.__name__}")})
    leaves = []
    for v in graph.params + graph.consts:
        entry = _value_json(v)
        source = v.source.data if isinstance(v.source, Variable) else v.source
        entry["value"] = w.encode(source, f"{v.kind}.{v.name}")
        leaves.append(entry)
    return {
        "format": FORMAT, "version": VERSION,
        "inputs": [_value_json(v) for v in graph.inputs],
        "leaves": leaves,
        "functions": fns,
        "nodes": nodes,
        "outputs": [v.id for v in graph.outputs],
        "buffers": [{"shape": list(b.shape), "dtype": b.dtype} for b in graph.buffers],
        "output_structure": _structure_json(graph.output_structure),
    }, w.arrays


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
    """Write ``graph`` and its weights to ``path`` (one safetensors file; written atomically)."""
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
        kind = f"a {base.__name__} class" if base is not None else "a class"
        raise GraphFileError(f"{path}: the graph names {target!r}, which is not {kind}")
    return obj


def _trusted_packages() -> set[str]:
    """dezero_core and the top-level packages behind any installed ``dezero.*`` entry point."""
    from dezero_core.discovery.metadata import installed_entry_points

    return {"dezero_core"} | {ep.value.split(":")[0].split(".")[0] for ep in installed_entry_points("dezero.")}


class _Reader:
    def __init__(self, arrays: dict[str, Any], path: str) -> None:
        self.arrays, self.path = arrays, path

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "array" in value:
            try:
                return self.arrays[value["array"]]
            except KeyError:
                raise GraphFileError(f"{self.path}: the array {value['array']!r} is missing from the file") from None
        if "tuple" in value:
            return tuple(self.decode(v) for v in value["tuple"])
        if "dict" in value:
            return {k: self.decode(v) for k, v in value["dict"].items()}
        if "slice" in value:
            return slice(*value["slice"])
        if "ellipsis" in value:
            return Ellipsis
        if "object" in value:
            cls = _import(value["object"], self.path)
            obj = cls.__new__(cls)
            obj.__dict__.update({k: self.decode(v) for k, v in value["attrs"].items()})
            return obj
        raise GraphFileError(f"{self.path}: unknown attribute encoding {sorted(value)}")


def graph_from_json(description: dict, arrays: dict[str, Any], path: str = "<graph>") -> Graph:
    """The :class:`Graph` :func:`graph_to_json` described (parameters as new Parameters)."""
    r = _Reader(arrays, path)
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
        data = r.decode(e["value"])
        v.source = Parameter(data, name=v.name) if v.kind == "param" else data
        (params if v.kind in ("param", "state") else consts).append(v)
    functions = []
    for f in description["functions"]:
        cls = _import(f["target"], path, Function)
        fn = cls.__new__(cls)
        fn.__dict__.update(r.decode(f["attrs"]))
        functions.append(fn)
    nodes = []
    for n in description["nodes"]:
        attrs = r.decode(n["attrs"])
        if "needs_grad" in attrs:
            attrs["needs_grad"] = tuple(attrs["needs_grad"])
        node = Node(n["kind"], functions[n["fn"]], [None if i is None else values[i] for i in n["inputs"]], [],
                    attrs, list(n["out"]), n["inplace"])
        node.outputs = [value(e, node, k) for k, e in enumerate(n["outputs"])]
        node.free_after = [values[i] for i in n["free_after"]]
        nodes.append(node)
    graph = Graph(inputs, params, consts, nodes, [values[i] for i in description["outputs"]],
                  [Buffer(tuple(b["shape"]), b["dtype"]) for b in description["buffers"]],
                  _structure_from_json(description["output_structure"]))
    graph.verify()
    return graph


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
    order). Weights go to the current backend."""
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
    if description.get("version") != VERSION:
        raise GraphFileError(f"{name} holds a graph of format version {description.get('version')}; this "
                             f"version of dezero-core reads version {VERSION}")
    arrays = {key: decode_array(item) for key, item in items.items()}
    return SymbolicFunction.from_graph(graph_from_json(description, arrays, name))
