"""``OnnxBuilder``: what a converter writes ONNX with — nodes, constants, fresh names, the opset.

A converter never builds ``onnx`` protos itself: it calls :meth:`OnnxBuilder.op` (one node, its
output name back) and :meth:`OnnxBuilder.const` (an initializer of a given dtype), so names stay
unique and the opset differences (reductions take their axes as an input from opset 18 on) live
here, once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper

#: the largest int64: "to the end" for Slice
END = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Value:
    """A tensor of the graph being exported: its ONNX name, traced shape and numpy dtype.

    ``varying`` marks the axes whose size follows a dynamic input axis (the batch): a converter
    that writes a shape into the graph must not freeze those.
    """

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    varying: tuple[bool, ...] = ()

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.shape)

    def varies(self, axis: int) -> bool:
        """Whether axis ``axis`` follows a dynamic input axis."""
        return bool(self.varying) and self.varying[axis]


@dataclass(frozen=True)
class Node:
    """One call of a dezero ``Function`` to convert: the instance (its attributes) and its values."""

    fn: Any
    inputs: tuple[Value, ...]
    outputs: tuple[Value, ...]


class OnnxBuilder:
    """Collects the nodes and initializers of one ONNX graph for ``opset``."""

    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0
        self._consts: dict[tuple, str] = {}

    def fresh(self, hint: str) -> str:
        """A name used nowhere else in the graph."""
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op_type: str, *inputs: "str | Value | None", outputs: int = 1, **attrs: Any) -> Any:
        """Append one ``op_type`` node; returns its output name (a tuple of names if ``outputs > 1``).

        An input of None is an omitted optional input (written as the empty name).
        """
        names = [self.fresh(op_type) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, [_name(i) for i in inputs], names,
                                           name=self.fresh(f"n_{op_type}"), **attrs))
        return names[0] if outputs == 1 else tuple(names)

    def const(self, value: Any, dtype: Any = None) -> str:
        """An initializer holding ``value`` (an array or a number) as ``dtype``; equal small
        constants are shared."""
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 16 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.fresh("const")
        self.initializers.append(numpy_helper.from_array(np.asarray(array, order="C"), name))
        if key is not None:
            self._consts[key] = name
        return name

    def ints(self, values: Sequence[int]) -> str:
        """A 1-D int64 constant (shapes, axes, slice bounds)."""
        return self.const(np.asarray(list(values), dtype=np.int64))

    def scalar(self, value: float, like: Value) -> str:
        """A 0-d constant of ``like``'s dtype: a Python scalar never promotes the computation."""
        return self.const(value, like.dtype)

    def reduce(self, op_type: str, x: "str | Value", axes: Sequence[int] | None, keepdims: bool) -> str:
        """``op_type`` (ReduceSum, ReduceMean, ...) over ``axes`` (every axis when None).

        ReduceSum takes its axes as an input (opset 13 on), the others only from opset 18.
        """
        keep = int(bool(keepdims))
        if axes is None:
            return self.op(op_type, x, keepdims=keep)
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.ints(axes), keepdims=keep)
        return self.op(op_type, x, axes=axes, keepdims=keep)

    def unsqueeze(self, x: "str | Value", axes: Sequence[int]) -> str:
        """Insert size-1 axes."""
        return self.op("Unsqueeze", x, self.ints(axes))

    def cast(self, x: "str | Value", dtype: Any) -> str:
        """``x`` converted to numpy dtype ``dtype``."""
        return self.op("Cast", x, to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))


def host(array: Any) -> np.ndarray:
    """A backend array (or a number) as a numpy array, to be written as a constant."""
    if isinstance(array, (int, float, bool, np.ndarray, np.generic)):
        return np.asarray(array)
    from dezero_core.backend.selection import backend_of

    return np.asarray(backend_of(array).to_host(array))


def _name(value: "str | Value | None") -> str:
    if value is None:
        return ""
    return value.name if isinstance(value, Value) else value
