"""Converters of the functions that move elements: reshape, transpose, broadcast, sum_to, get_item,
concat, stack, split, pad.

A shape written into the graph keeps the axes that follow the dynamic batch axis open (``-1`` for
Reshape, ``1`` for Expand), so one file serves every batch size.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero_onnx.builder import END, Node, OnnxBuilder, Value, host
from dezero_onnx.errors import ExportError


def reshape(b: OnnxBuilder, node: Node) -> str:
    """``Reshape`` to the traced output shape, with ``-1`` on the one axis that follows the batch."""
    out = node.outputs[0]
    shape = list(out.shape)
    varying = [i for i in range(out.ndim) if out.varies(i)]
    if len(varying) > 1:
        raise ExportError(f"reshape to {out.shape}: {len(varying)} of its axes follow the dynamic batch "
                          f"axis, and an ONNX Reshape can infer only one; export with dynamic_axes={{}}")
    if varying:
        shape[varying[0]] = -1
    return b.op("Reshape", node.inputs[0], b.ints(shape))


def transpose(b: OnnxBuilder, node: Node) -> str:
    """``Transpose`` with the permutation the function resolved (it stores non-negative axes)."""
    return b.op("Transpose", node.inputs[0], perm=[int(a) for a in node.fn.axes])


def broadcast_to(b: OnnxBuilder, node: Node) -> str:
    """``Expand`` to the output shape; an axis that follows the batch stays 1 (Expand keeps it)."""
    x, out = node.inputs[0], node.outputs[0]
    offset = out.ndim - x.ndim
    shape = []
    for i, n in enumerate(out.shape):
        if out.varies(i):
            if i < offset or not x.varies(i - offset):
                raise ExportError(f"broadcast_to {out.shape}: axis {i} follows the dynamic batch axis but the "
                                  f"input {x.shape} does not provide it; export with dynamic_axes={{}}")
            n = 1
        shape.append(n)
    return b.op("Expand", x, b.ints(shape))


def sum_to(b: OnnxBuilder, node: Node) -> str:
    """``ReduceSum`` over the broadcast axes, then ``Reshape`` to the target shape."""
    x, out = node.inputs[0], node.outputs[0]
    lead = x.ndim - out.ndim
    # an axis of size 1 in the traced example still sums when it follows the batch
    axes = list(range(lead)) + [lead + i for i, n in enumerate(out.shape)
                                if n == 1 and (x.shape[lead + i] != 1 or x.varies(lead + i))]
    y = b.reduce("ReduceSum", x, axes, keepdims=True) if axes else x
    return b.op("Reshape", y, b.ints(out.shape)) if lead else y


def get_item(b: OnnxBuilder, node: Node) -> str:
    """``x[key]``: ``Slice`` for slices, ``Gather`` for integers and one index array; an ellipsis
    stands for the axes the other entries do not name."""
    x = node.inputs[0]
    key = node.fn.key
    arrays = [k for k in key if hasattr(k, "shape")]
    if arrays:
        if len(key) - (key[-1] is Ellipsis) != 1:
            raise ExportError("get_item: ONNX export supports one index array alone (x[ids], as embed_id "
                              f"uses), not the key {_describe(key)}")
        ids = host(arrays[0]).astype(np.int64)
        return b.op("Gather", x, b.const(ids), axis=0)
    if sum(k is Ellipsis for k in key) > 1:
        raise ExportError(f"get_item: a key with more than one ellipsis: {_describe(key)}")
    if Ellipsis in key:
        i = key.index(Ellipsis)
        named = sum(k is not None for k in key) - 1
        key = key[:i] + (slice(None),) * (x.ndim - named) + key[i + 1:]
    starts, ends, axes, steps, squeeze = [], [], [], [], []
    for axis, k in enumerate(key):
        if isinstance(k, slice):
            if k == slice(None):
                continue
            step = 1 if k.step is None else k.step
            start = k.start if k.start is not None else (0 if step > 0 else -1)
            stop = k.stop if k.stop is not None else (END if step > 0 else -END)
            starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
        elif isinstance(k, (int, np.integer)):
            k = int(k)
            starts.append(k), ends.append(k + 1 if k != -1 else END), axes.append(axis), steps.append(1)
            squeeze.append(axis)
        else:
            raise ExportError(f"get_item: ONNX export does not support the key entry {k!r} in {_describe(key)}")
    y = x
    if axes:
        y = b.op("Slice", x, b.ints(starts), b.ints(ends), b.ints(axes), b.ints(steps))
    if squeeze:
        y = b.op("Squeeze", y, b.ints(squeeze))
    return y if y is not x else b.op("Identity", x)


def take(b: OnnxBuilder, node: Node) -> str:
    """``x[ids]`` with the ids an input (a traced index): ``Gather`` on axis 0."""
    x, ids = node.inputs
    return gather_rows(b, x, ids)


def gather_rows(b: OnnxBuilder, table: Value, ids: Value) -> str:
    """``Gather(table, ids, axis=0)``, the ids as int64 unless they are int32 (Gather's index types)."""
    if ids.dtype not in (np.int32, np.int64):
        ids = b.cast(ids, np.int64)
    return b.op("Gather", table, ids, axis=0)


def concat(b: OnnxBuilder, node: Node) -> str:
    """``Concat`` along the function's axis."""
    return b.op("Concat", *node.inputs, axis=int(node.fn.axis))


def stack(b: OnnxBuilder, node: Node) -> str:
    """Each input unsqueezed at the new axis, then ``Concat``."""
    axis = int(node.fn.axis)
    return b.op("Concat", *(b.unsqueeze(x, [axis]) for x in node.inputs), axis=axis)


def split(b: OnnxBuilder, node: Node) -> tuple[str, ...]:
    """``Split`` into the pieces the function cut (their sizes as the split input)."""
    x, fn = node.inputs[0], node.fn
    sizes = [s.stop - s.start for s in fn.pieces(x.shape[fn.axis])]
    if len(sizes) == 1:
        return (b.op("Identity", x),)
    return tuple(b.op("Split", x, b.ints(sizes), outputs=len(sizes), axis=int(fn.axis)))


def pad(b: OnnxBuilder, node: Node) -> str:
    """``Pad`` with the constant value, widths as ONNX's (all befores, then all afters)."""
    x, fn = node.inputs[0], node.fn
    widths = [w[0] for w in fn.widths] + [w[1] for w in fn.widths]
    return b.op("Pad", x, b.ints(widths), b.scalar(fn.value, x), mode="constant")


def _describe(key: Any) -> str:
    return "(" + ", ".join("..." if k is Ellipsis else f"array{tuple(k.shape)}" if hasattr(k, "shape") else repr(k)
                           for k in key) + ")"
