"""Program -> ONNX model: every call through its registered converter, then checked.

Graph inputs are named ``input_0``, ``input_1``, ... (or as the caller names them) and outputs
``output_0``, ...; weights keep their parameter names. Axes that follow a dynamic input axis are
written as the symbolic dimension ``batch``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import onnx
from onnx import helper

from dezero_onnx.builder import Node, OnnxBuilder, Value
from dezero_onnx.converters import converter_for
from dezero_onnx.errors import ExportError
from dezero_onnx.program import Program

#: the symbolic name of dynamic axes in the file
BATCH = "batch"


def to_model(program: Program, opset: int, input_names: Sequence[str] | None = None,
             output_names: Sequence[str] | None = None, producer: str = "dezero-onnx") -> onnx.ModelProto:
    """The ONNX model of ``program`` for ``opset`` (:func:`checked_bytes` checks and serializes it)."""
    b = OnnxBuilder(opset)
    input_names = list(input_names or [f"input_{i}" for i in range(len(program.inputs))])
    output_names = list(output_names or [f"output_{i}" for i in range(len(program.outputs))])
    _check_names(input_names, len(program.inputs), "input")
    _check_names(output_names, len(program.outputs), "output")
    values: dict = {}

    def value(key, name: str) -> Value:
        shape, dtype = program.specs[key]
        return Value(name, tuple(shape), np.dtype(dtype), program.varying.get(key, ()))

    graph_inputs = []
    for key, name in zip(program.inputs, input_names):
        values[key] = value(key, name)
        graph_inputs.append(_value_info(values[key]))
    for key, (name, array) in program.weights.items():
        values[key] = value(key, name)
        b.initializers.append(onnx.numpy_helper.from_array(np.asarray(array, order="C"), name))
    for call in program.calls:
        node = Node(call.fn, tuple(values[k] for k in call.inputs), tuple(value(k, "") for k in call.outputs))
        names = converter_for(call.op)(b, node)
        names = (names,) if isinstance(names, str) else tuple(names)
        if len(names) != len(call.outputs):
            raise ExportError(f"the ONNX converter of {call.op} gave {len(names)} outputs for the function's "
                              f"{len(call.outputs)}")
        for key, name in zip(call.outputs, names):
            values[key] = value(key, name)
    graph_outputs = []
    for key, name in zip(program.outputs, output_names):
        b.nodes.append(helper.make_node("Identity", [values[key].name], [name], name=b.fresh("n_output")))
        graph_outputs.append(_value_info(value(key, name)))
    graph = helper.make_graph(b.nodes, "dezero", graph_inputs, graph_outputs, b.initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name=producer)


def checked_bytes(model: onnx.ModelProto) -> bytes:
    """``model`` serialized, once, after ``onnx.checker.check_model(full_check=True)`` passed on it."""
    try:
        data = model.SerializeToString()
    except ValueError as exc:  # protobuf refuses a message over 2 GiB
        raise ExportError(f"the model cannot be written as one ONNX file ({exc}): one file holds at most 2 GiB "
                          f"(external weight files are not supported yet)") from exc
    onnx.checker.check_model(data, full_check=True)
    return data


def _value_info(v: Value) -> onnx.ValueInfoProto:
    dims = [BATCH if v.varies(i) else n for i, n in enumerate(v.shape)]
    return helper.make_tensor_value_info(v.name, helper.np_dtype_to_tensor_dtype(v.dtype), dims)


def _check_names(names: Sequence[str], count: int, what: str) -> None:
    if len(names) != count:
        raise ExportError(f"{len(names)} {what} names given ({', '.join(names)}) for {count} {what}s")
    if len(set(names)) != len(names):
        raise ExportError(f"{what} names must differ, got {', '.join(names)}")
