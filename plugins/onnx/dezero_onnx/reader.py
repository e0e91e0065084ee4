"""``load``: an ONNX file as a function that runs on any dezero backend through the registered
functions (the operators of :mod:`dezero_onnx.ops`)."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from dezero_onnx.errors import LoadError
from dezero_onnx.ops import OPS, OnnxNode


class OnnxFunction:
    """A loaded ONNX graph. Call it with arrays or Variables (positionally, or by input name); it
    returns a Variable (a tuple for several outputs) computed by dezero's own functions, on the
    backend of the inputs (the selected backend for host arrays), so gradients flow through it.
    """

    def __init__(self, model: onnx.ModelProto) -> None:
        graph = model.graph
        self.weights: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in self.weights]
        self.output_names = [o.name for o in graph.output]
        self._steps: list[tuple[Any, OnnxNode, list[str], list[str]]] = []
        missing = sorted({n.op_type for n in graph.node if n.op_type not in OPS and n.op_type != "Constant"})
        if missing or any(n.domain not in ("", "ai.onnx") for n in graph.node):
            raise LoadError(f"the file uses operators dezero_onnx.load does not map: "
                            f"{', '.join(missing) or 'a custom domain'}. Supported: {', '.join(sorted(OPS))}")
        for proto in graph.node:
            attrs = {a.name: helper.get_attribute_value(a) for a in proto.attribute}
            attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
            if proto.op_type == "Constant":
                self.weights[proto.output[0]] = numpy_helper.to_array(attrs["value"])
                continue
            consts = {i: self.weights[name] for i, name in enumerate(proto.input) if name in self.weights}
            self._steps.append((OPS[proto.op_type], OnnxNode(proto, attrs, consts), list(proto.input),
                                list(proto.output)))
        self._on_backend: dict[str, dict[str, Any]] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from dezero_core.graph.variable import as_variable

        env = dict(self._weights_on(self._backend(args, kwargs)))
        env.update(self._bind(args, kwargs))
        for op, node, inputs, outputs in self._steps:
            result = op(node, *(env[name] if name else None for name in inputs))
            results = result if isinstance(result, (tuple, list)) else (result,)
            env.update(zip(outputs, results))
        outs = tuple(as_variable(env[name]) for name in self.output_names)
        return outs[0] if len(outs) == 1 else outs

    def _bind(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        names = self.input_names
        if len(args) > len(names):
            raise TypeError(f"the ONNX graph takes {len(names)} inputs ({', '.join(names)}), got {len(args)}")
        bound = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in names or name in bound:
                raise TypeError(f"unexpected or repeated input {name!r}; the ONNX graph's inputs are "
                                f"{', '.join(names)}")
            bound[name] = value
        missing = [n for n in names if n not in bound]
        if missing:
            raise TypeError(f"missing input(s) {', '.join(missing)} of the ONNX graph (inputs: {', '.join(names)})")
        return bound

    @staticmethod
    def _backend(args: tuple, kwargs: dict) -> Any:
        from dezero_core.backend.selection import backend_of, get_backend

        for a in (*args, *kwargs.values()):
            data = getattr(a, "data", a)
            if hasattr(data, "shape") and hasattr(data, "dtype"):
                return backend_of(data)
        return get_backend()

    def _weights_on(self, backend: Any) -> dict[str, Any]:
        """The weights as arrays of ``backend`` (copied there once, then reused)."""
        if backend.name not in self._on_backend:
            self._on_backend[backend.name] = {k: backend.from_host(v) for k, v in self.weights.items()}
        return self._on_backend[backend.name]


def load(path: "str | os.PathLike[str]", compiled: bool = True) -> Any:
    """The ONNX file at ``path`` as a dezero function: compiled with ``dezero_core.compile`` (traced
    at the first call of each input shape, then replayed), or with ``compiled=False`` the
    :class:`OnnxFunction` itself, which runs the functions eagerly (its outputs differentiate).

    Every operator must be one dezero maps (the ones :func:`dezero_onnx.export` writes); the file is
    checked with ``onnx.checker`` first, so a damaged file is an error naming it.
    """
    name = os.fspath(path)
    try:
        model = onnx.load(name)
        onnx.checker.check_model(model)
    except (OSError, onnx.checker.ValidationError) as exc:
        raise LoadError(f"{name} is not a valid ONNX file: {exc}") from exc
    except Exception as exc:  # protobuf's DecodeError for a damaged file
        raise LoadError(f"{name} cannot be read as ONNX: {type(exc).__name__}: {exc}") from exc
    function = OnnxFunction(model)
    if not compiled:
        return function
    import dezero_core as dz

    return dz.compile(function)
