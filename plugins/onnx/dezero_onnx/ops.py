"""ONNX operators as dezero functions: what :func:`dezero_onnx.load` runs a file with.

One small function per operator, ``op(node, *inputs) -> output(s)``, over Variables and through
the registered functions (so a loaded file runs on any backend, and differentiates). ``node`` gives
the attributes (:class:`OnnxNode`) and the constant inputs (``node.const(i)``: shapes, axes, bounds).
The operators are those the exporter writes, with the attribute values it writes; anything else is a
:class:`~dezero_onnx.errors.LoadError` that names the operator and the attribute.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from dezero_core import functions as F
from dezero_core.config import using_config
from dezero_core.functions.discrete import Discrete
from dezero_core.graph.variable import Variable

from dezero_onnx.builder import END
from dezero_onnx.errors import LoadError


class OnnxNode:
    """One node of a file being loaded: its op type, attributes, and which inputs are constants."""

    def __init__(self, proto: Any, attrs: dict[str, Any], consts: dict[int, np.ndarray]) -> None:
        self.op_type = proto.op_type
        self.name = proto.name
        self.attrs = attrs
        self.consts = consts

    def attr(self, name: str, default: Any = None) -> Any:
        """The attribute ``name`` (``default`` when the node does not set it)."""
        return self.attrs.get(name, default)

    def const(self, i: int) -> np.ndarray:
        """Input ``i`` as a host array; a LoadError unless the file gives it as a constant (callers
        test an optional input for absence, a None argument, before asking for its value)."""
        if i not in self.consts:
            raise LoadError(f"{self.op_type} node {self.name!r}: input {i} must be a constant (an initializer) "
                            f"for dezero_onnx.load; this file computes it")
        return self.consts[i]

    def refuse(self, what: str) -> LoadError:
        """The error for an attribute value dezero has no function for."""
        return LoadError(f"{self.op_type} node {self.name!r}: {what} is not supported by dezero_onnx.load")

    def require(self, name: str, allowed: Any) -> None:
        """Refuse the node unless attribute ``name`` is absent or equals ``allowed``."""
        value = self.attrs.get(name, allowed)
        if value != allowed:
            raise self.refuse(f"{name}={value!r} (only {allowed!r})")


Op = Callable[..., Any]


def _elementwise(fn: Callable[..., Any]) -> Op:
    return lambda node, *xs: fn(*xs)


def _reduce(fn: Callable[..., Any]) -> Op:
    def run(node: OnnxNode, x: Any, axes_input: Any = None) -> Any:
        if axes_input is not None:
            axes = [int(a) for a in node.const(1)]
        else:
            axes = node.attr("axes")
        if not axes:
            if node.attr("noop_with_empty_axes", 0):
                return x
            axes = None
        return fn(x, axis=None if axes is None else tuple(axes), keepdims=bool(node.attr("keepdims", 1)))
    return run


def clip(node: OnnxNode, x: Any, low: Any = None, high: Any = None) -> Any:
    """``Clip`` with constant bounds (an absent one leaves that side open)."""
    return F.clip(x, None if low is None else float(node.const(1)), None if high is None else float(node.const(2)))


def reshape(node: OnnxNode, x: Any, shape: Any) -> Any:
    """``Reshape``: 0 copies the input's size on that axis, -1 is inferred."""
    node.require("allowzero", 0)
    target = [int(s) for s in node.const(1)]
    return F.reshape(x, tuple(x.shape[i] if s == 0 else s for i, s in enumerate(target)))


def expand(node: OnnxNode, x: Any, shape: Any) -> Any:
    """``Expand``: broadcast ``x`` against the constant shape."""
    return F.broadcast_to(x, tuple(np.broadcast_shapes(tuple(x.shape), tuple(int(s) for s in node.const(1)))))


def gather(node: OnnxNode, x: Any, indices: Any) -> Any:
    """``Gather`` along ``axis``: one index array, or one integer (the axis goes away). Indices the
    file computes or takes as an input (token ids) pick rows: ``x[indices]``, an input of the node
    when the loaded function is compiled."""
    axis = int(node.attr("axis", 0)) % x.ndim
    if 1 not in node.consts:
        if axis != 0:
            raise node.refuse(f"indices given at run time on axis {axis} (only on axis 0, as embed_id and "
                              f"get_item export them)")
        return F.get_item(x, indices)
    ids = _data(indices)
    index = int(ids) if getattr(ids, "ndim", 0) == 0 else ids
    return F.get_item(x, (slice(None),) * axis + (index,))


def slice_(node: OnnxNode, x: Any, starts: Any, ends: Any, axes: Any = None, steps: Any = None) -> Any:
    """``Slice`` with constant bounds, as a basic-indexing key."""
    s, e = node.const(1), node.const(2)
    a = node.const(3) if axes is not None else np.arange(len(s))
    st = node.const(4) if steps is not None else np.ones(len(s), dtype=np.int64)
    key = [slice(None)] * x.ndim
    for start, end, axis, step in zip(s, e, a, st):
        end = None if abs(int(end)) >= END // 2 else int(end)
        key[int(axis)] = slice(int(start), end, int(step))
    return F.get_item(x, tuple(key))


def squeeze(node: OnnxNode, x: Any, axes: Any = None) -> Any:
    """``Squeeze`` of the given axes (every size-1 axis when none)."""
    return F.squeeze(x, None if axes is None else tuple(int(a) for a in node.const(1)))


def unsqueeze(node: OnnxNode, x: Any, axes: Any) -> Any:
    """``Unsqueeze`` at the given axes."""
    return F.expand_dims(x, tuple(int(a) for a in node.const(1)))


def split(node: OnnxNode, x: Any, sizes: Any = None) -> Any:
    """``Split`` at the constant sizes."""
    axis = int(node.attr("axis", 0)) % x.ndim
    if sizes is None:
        raise node.refuse("a split without its sizes input")
    bounds = np.cumsum([int(s) for s in node.const(1)])[:-1]
    return F.split(x, [int(b) for b in bounds], axis)


def pad(node: OnnxNode, x: Any, pads: Any, value: Any = None) -> Any:
    """``Pad`` with a constant value."""
    node.require("mode", "constant")
    widths = [int(p) for p in node.const(1)]
    n = len(widths) // 2
    fill = 0.0 if value is None else float(node.const(2))
    return F.pad(x, tuple(zip(widths[:n], widths[n:])), fill)


def gemm(node: OnnxNode, a: Any, b: Any, c: Any = None) -> Any:
    """``Gemm`` (alpha = beta = 1): ``linear`` with W transposed when ``transB``."""
    node.require("alpha", 1.0), node.require("beta", 1.0)
    if node.attr("transA", 0):
        a = F.transpose(a)
    if node.attr("transB", 0):
        b = F.transpose(b)
    return F.linear(a, b, c)


def _window(node: OnnxNode) -> tuple[Any, Any, Any]:
    """(kernel, stride, pad) of a Conv/pooling node with symmetric pads and no dilation."""
    node.require("auto_pad", "NOTSET")
    if any(d != 1 for d in node.attr("dilations", [1, 1])):
        raise node.refuse(f"dilations={node.attr('dilations')}")
    pads = list(node.attr("pads", [0, 0, 0, 0]))
    if len(pads) != 4 or pads[:2] != pads[2:]:
        raise node.refuse(f"pads={pads} (only 2-D and the same on both sides)")
    return node.attr("kernel_shape"), tuple(node.attr("strides", [1, 1])), tuple(pads[:2])


def conv(node: OnnxNode, x: Any, W: Any, b: Any = None) -> Any:
    """``Conv`` (one group)."""
    node.require("group", 1)
    _, stride, pads = _window(node)
    return F.conv2d(x, W, b, stride, pads)


def conv_transpose(node: OnnxNode, x: Any, W: Any, b: Any = None) -> Any:
    """``ConvTranspose`` (one group), ``output_padding`` as ``deconv2d``'s outsize."""
    node.require("group", 1)
    if node.attr("output_shape") is not None:
        raise node.refuse("output_shape")
    kernel, stride, pads = _window(node)
    kernel = kernel or W.shape[2:]
    extra = node.attr("output_padding", [0, 0])
    outsize = tuple((x.shape[2 + i] - 1) * stride[i] + kernel[i] - 2 * pads[i] + extra[i] for i in range(2))
    return F.deconv2d(x, W, b, stride, pads, outsize)


def max_pool(node: OnnxNode, x: Any) -> Any:
    """``MaxPool`` (floor rounding, one output)."""
    node.require("ceil_mode", 0), node.require("storage_order", 0)
    kernel, stride, pads = _window(node)
    return F.pooling(x, tuple(kernel), stride, pads)


def average_pool(node: OnnxNode, x: Any) -> Any:
    """``AveragePool`` (floor rounding; padding counted, or no padding)."""
    node.require("ceil_mode", 0)
    kernel, stride, pads = _window(node)
    if any(pads) and not node.attr("count_include_pad", 0):
        raise node.refuse("padding left out of the mean (count_include_pad=0)")
    return F.average_pooling(x, tuple(kernel), stride, pads)


def batch_normalization(node: OnnxNode, x: Any, scale: Any, bias: Any, mean: Any, var: Any) -> Any:
    """``BatchNormalization`` in inference form: the running statistics, never updated."""
    node.require("training_mode", 0)
    with using_config("train", False):
        return F.batch_norm(x, scale, bias, _data(mean), _data(var), eps=float(node.attr("epsilon", 1e-5)))


def softmax_cross_entropy_loss(node: OnnxNode, scores: Any, labels: Any, weights: Any = None) -> Any:
    """``SoftmaxCrossEntropyLoss`` with mean reduction and no class weights."""
    node.require("reduction", "mean")
    if weights is not None:
        raise node.refuse("class weights")
    return F.softmax_cross_entropy(scores, labels, node.attr("ignore_index"))


class Cast(Discrete):
    """``x`` as a new array of the dtype named ``dtype``; not differentiable (a graph node when the
    loaded function is compiled, so a cast of an input does not break its trace)."""

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype

    def forward(self, xp, x):
        return xp.astype(x, getattr(xp, self.dtype))


def cast(node: OnnxNode, x: Any) -> Any:
    """``Cast``: a new array of the target dtype, through :class:`Cast` (not differentiable)."""
    from onnx import helper

    return Cast(np.dtype(helper.tensor_dtype_to_np_dtype(node.attr("to"))).name)(x)


def arg_reduce(fn: Callable[..., Any]) -> Op:
    """``ArgMax``/``ArgMin`` along ``axis`` (first index of ties only, as numpy)."""
    def run(node: OnnxNode, x: Any) -> Any:
        node.require("select_last_index", 0)
        return fn(x, int(node.attr("axis", 0)), bool(node.attr("keepdims", 1)))
    return run


def not_(node: OnnxNode, x: Any) -> Any:
    """``Not`` of a boolean tensor: ``x == False``."""
    return F.equal(x, False)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Variable) else x


#: ONNX op type -> the function running it
OPS: dict[str, Op] = {
    "Add": _elementwise(F.add), "Sub": _elementwise(F.sub), "Mul": _elementwise(F.mul),
    "Div": _elementwise(F.div), "Pow": _elementwise(F.power), "Max": _elementwise(F.maximum),
    "Min": _elementwise(F.minimum), "Neg": _elementwise(F.neg), "Sin": _elementwise(F.sin),
    "Cos": _elementwise(F.cos), "Tanh": _elementwise(F.tanh), "Exp": _elementwise(F.exp),
    "Log": _elementwise(F.log), "Sqrt": _elementwise(F.sqrt), "Abs": _elementwise(F.abs),
    "Erf": _elementwise(F.erf), "Sigmoid": _elementwise(F.sigmoid), "Relu": _elementwise(F.relu),
    "Softplus": _elementwise(F.softplus), "MatMul": _elementwise(F.matmul),
    "Where": _elementwise(F.where), "Identity": lambda node, x: x,
    "LeakyRelu": lambda node, x: F.leaky_relu(x, node.attr("alpha", 0.01)),
    "Elu": lambda node, x: F.elu(x, node.attr("alpha", 1.0)),
    "Softmax": lambda node, x: F.softmax(x, node.attr("axis", -1)),
    "LogSoftmax": lambda node, x: F.log_softmax(x, node.attr("axis", -1)),
    "Transpose": lambda node, x: F.transpose(x, node.attr("perm")),
    "Concat": lambda node, *xs: F.concat(list(xs), node.attr("axis")),
    "ReduceSum": _reduce(F.sum), "ReduceMean": _reduce(F.mean), "ReduceMax": _reduce(F.max),
    "ReduceMin": _reduce(F.min), "ReduceLogSumExp": _reduce(F.logsumexp),
    "Clip": clip, "Reshape": reshape, "Expand": expand, "Gather": gather, "Slice": slice_,
    "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Split": split, "Pad": pad, "Gemm": gemm,
    "Conv": conv, "ConvTranspose": conv_transpose, "MaxPool": max_pool, "AveragePool": average_pool,
    "BatchNormalization": batch_normalization, "SoftmaxCrossEntropyLoss": softmax_cross_entropy_loss,
    "Cast": cast, "ArgMax": arg_reduce(F.argmax), "ArgMin": arg_reduce(F.argmin), "Not": not_,
    "Equal": _elementwise(F.equal), "Less": _elementwise(F.less), "LessOrEqual": _elementwise(F.less_equal),
    "Greater": _elementwise(F.greater), "GreaterOrEqual": _elementwise(F.greater_equal),
}
