"""Converters of the layers' functions: matmul, linear, conv2d, deconv2d, im2col, col2im, pooling,
normalization (batch_norm, layer_norm). Dropout needs none: traced in test mode, as export does,
it is the identity and records no node.

The window geometry is the book's (Chainer's ``cover_all=False``): ONNX's default floor rounding of
output sizes, explicit symmetric pads.
"""
from __future__ import annotations

import numpy as np

from dezero_onnx.builder import Node, OnnxBuilder, host
from dezero_onnx.errors import ExportError


def matmul(b: OnnxBuilder, node: Node) -> str:
    """``MatMul`` (numpy's batched semantics, as ONNX's)."""
    return b.op("MatMul", *node.inputs)


def linear(b: OnnxBuilder, node: Node) -> str:
    """``Gemm`` for a 2-D batch (one fused node), else ``MatMul`` then ``Add``."""
    x, W = node.inputs[:2]
    bias = node.inputs[2] if len(node.inputs) == 3 else None
    if x.ndim == 2:
        return b.op("Gemm", x, W, bias)
    y = b.op("MatMul", x, W)
    return y if bias is None else b.op("Add", y, bias)


def _window_attrs(window) -> dict:
    return {"kernel_shape": [window.kh, window.kw], "strides": [window.sy, window.sx],
            "pads": [window.ph, window.pw, window.ph, window.pw]}


def conv2d(b: OnnxBuilder, node: Node) -> str:
    """``Conv``: the same cross-correlation, W (C_out, C_in, KH, KW) as ONNX lays it out."""
    return b.op("Conv", *node.inputs, **_window_attrs(node.fn.window))


def deconv2d(b: OnnxBuilder, node: Node) -> str:
    """``ConvTranspose``, with output_padding for an ``outsize`` beyond the default size."""
    x, window = node.inputs[0], node.fn.window
    attrs = _window_attrs(window)
    default = ((x.shape[2] - 1) * window.sy + window.kh - 2 * window.ph,
               (x.shape[3] - 1) * window.sx + window.kw - 2 * window.pw)
    extra = [int(o - d) for o, d in zip(node.fn.outsize, default)]
    if any(extra):
        attrs["output_padding"] = extra
    return b.op("ConvTranspose", *node.inputs, **attrs)


def _selector(channels: int, window, dtype) -> np.ndarray:
    """A (C*KH*KW, C, KH, KW) kernel of ones that copies offset (i, j) of channel c to output
    channel ``c*KH*KW + i*KW + j``: im2col as a convolution (exact: products with 1 and 0)."""
    kh, kw = window.kh, window.kw
    eye = np.eye(channels * kh * kw, dtype=dtype)
    return eye.reshape(channels * kh * kw, channels, kh, kw)


def im2col(b: OnnxBuilder, node: Node) -> str:
    """A ``Conv`` with a selector kernel, reshaped to the function's layout."""
    x, fn = node.inputs[0], node.fn
    n, c = x.shape[:2]
    out = node.outputs[0]
    w = fn.window
    cols = b.op("Conv", x, b.const(_selector(c, w, x.dtype)), **_window_attrs(w))  # (N, C*KH*KW, OH, OW)
    if fn.to_matrix:
        rows = b.op("Transpose", cols, perm=[0, 2, 3, 1])
        return b.op("Reshape", rows, b.ints([-1, c * w.kh * w.kw]))
    return b.op("Reshape", cols, b.ints([0 if x.varies(0) else n, c, w.kh, w.kw] + list(out.shape[4:])))


def col2im(b: OnnxBuilder, node: Node) -> str:
    """The adjoint of :func:`im2col`: a ``ConvTranspose`` with the same selector kernel."""
    col, fn = node.inputs[0], node.fn
    n, c, h, w_ = fn.img_shape
    w = fn.window
    oh, ow = w.outsize(h, w_)
    if fn.to_matrix:  # (N*OH*OW, C*KH*KW) -> (N, C*KH*KW, OH, OW)
        grid = b.op("Reshape", col, b.ints([-1, oh, ow, c * w.kh * w.kw]))
        cols = b.op("Transpose", grid, perm=[0, 3, 1, 2])
    else:  # (N, C, KH, KW, OH, OW)
        cols = b.op("Reshape", col, b.ints([-1, c * w.kh * w.kw, oh, ow]))
    attrs = _window_attrs(w)
    default = ((oh - 1) * w.sy + w.kh - 2 * w.ph, (ow - 1) * w.sx + w.kw - 2 * w.pw)
    if default != (h, w_):  # rows or columns no window reached: zeros, through output_padding
        attrs["output_padding"] = [h - default[0], w_ - default[1]]
    return b.op("ConvTranspose", cols, b.const(_selector(c, w, col.dtype)), **attrs)


def max_pooling(b: OnnxBuilder, node: Node) -> str:
    """``MaxPool`` (its padding never wins, as the eager function's -inf)."""
    return b.op("MaxPool", node.inputs[0], **_window_attrs(node.fn.window))


def weighted_pooling(b: OnnxBuilder, node: Node) -> str:
    """Average pooling (one weight ``1/(KH*KW)``): ``AveragePool`` counting the padding, as the book."""
    fn = node.fn
    weights = host(fn.weights)
    w = fn.window
    if weights.size != 1 or not np.isclose(float(weights), 1.0 / (w.kh * w.kw)):
        raise ExportError("pooling with per-element window weights (a gradient of max pooling) has no "
                          "ONNX form; export the forward pass only")
    return b.op("AveragePool", node.inputs[0], count_include_pad=1, **_window_attrs(w))


def normalization(b: OnnxBuilder, node: Node) -> str:
    """batch_norm in test mode (fixed statistics, one per channel) as ``BatchNormalization``; with
    the batch's statistics (layer_norm) as the arithmetic the eager function does."""
    x, gamma, beta = node.inputs
    fn = node.fn
    if fn.fixed is not None:
        mean, var = (host(a).reshape(-1) for a in fn.fixed)
        return b.op("BatchNormalization", x, gamma, beta, b.const(mean, x.dtype), b.const(var, x.dtype),
                    epsilon=float(fn.eps))
    shape = b.ints(fn.param_shape)
    centered = b.op("Sub", x, b.reduce("ReduceMean", x, fn.axes, keepdims=True))
    var = b.reduce("ReduceMean", b.op("Mul", centered, centered), fn.axes, keepdims=True)
    scale = b.op("Div", b.op("Reshape", gamma, shape), b.op("Sqrt", b.op("Add", var, b.scalar(fn.eps, x))))
    return b.op("Add", b.op("Mul", centered, scale), b.op("Reshape", beta, shape))
