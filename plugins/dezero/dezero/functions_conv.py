"""The book's ``dezero.functions_conv``: convolution, pooling, im2col and col2im.

``conv2d``, ``deconv2d``, ``pooling``, ``average_pooling``, ``im2col`` and ``col2im`` are
dezero_core's, in the book's layouts: ``W`` of conv2d is ``(C_out, C_in, KH, KW)``, of deconv2d
``(C_in, C_out, KH, KW)``; ``im2col(..., to_matrix=True)`` gives ``(N*OH*OW, C*KH*KW)``; output
sizes follow Chainer's ``cover_all=False``. The book's ``*_simple`` versions are compositions of
those functions, as in the book. The Function classes the book names (``Conv2d``, ``Deconv2d``,
``Conv2DGradW``, ``Im2col``, ``Col2im``, ``Pooling``, ``AveragePooling``) are dezero_core's (with
dezero_core's constructors: call the functions rather than the classes).
"""
from __future__ import annotations

from typing import Any

from dezero_core.functions import (
    average_pooling, conv2d, deconv2d, im2col, linear, pooling,
)
from dezero_core import functions as _F
from dezero_core.functions import max as max_
from dezero_core.functions.conv import Col2im, Conv2d, Conv2dGradW as Conv2DGradW, Deconv2d, Im2col
from dezero_core.functions.conv_utils import get_conv_outsize, get_deconv_outsize, pair
from dezero_core.functions.pool import MaxPooling as Pooling, WeightedPooling as AveragePooling
from dezero_core.graph.variable import Variable, as_variable

from dezero.integers import keeping_integers

__all__ = [
    "AveragePooling", "Col2im", "Conv2DGradW", "Conv2d", "Deconv2d", "Im2col", "Pooling", "average_pooling", "col2im", "conv2d", "conv2d_simple", "deconv2d", "get_conv_outsize",
    "get_deconv_outsize", "im2col", "pooling", "pooling_simple",
]


# integer images stay integers, as in numpy (see dezero.integers)
average_pooling, conv2d, deconv2d, im2col, linear, pooling, max_ = map(
    keeping_integers, (average_pooling, conv2d, deconv2d, im2col, linear, pooling, max_))


@keeping_integers
def col2im(x: Any, input_shape: Any, kernel_size: Any, stride: Any = 1, pad: Any = 0,
           to_matrix: bool = True) -> Variable:
    """The adjoint of :func:`im2col`: the windows ``x`` summed back into an image of ``input_shape``."""
    return _F.col2im(x, input_shape, kernel_size, stride, pad, to_matrix)


def conv2d_simple(x: Any, W: Any, b: Any = None, stride: Any = 1, pad: Any = 0) -> Variable:
    """conv2d as the book first writes it: im2col, then one ``linear`` with the flattened kernel."""
    x, W = as_variable(x), as_variable(W)
    N, _, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    (SH, SW), (PH, PW) = pair(stride), pair(pad)
    OH, OW = get_conv_outsize(H, KH, SH, PH), get_conv_outsize(Wd, KW, SW, PW)
    col = im2col(x, (KH, KW), stride, pad, to_matrix=True)  # (N*OH*OW, C*KH*KW)
    t = linear(col, W.reshape(OC, -1).transpose(), b)
    return t.reshape(N, OH, OW, OC).transpose(0, 3, 1, 2)


def pooling_simple(x: Any, kernel_size: Any, stride: Any = 1, pad: Any = 0) -> Variable:
    """Max pooling as the book first writes it: im2col, then the maximum of each window."""
    x = as_variable(x)
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), (PH, PW) = pair(kernel_size), pair(stride), pair(pad)
    # (the book computes OW from H; the width is what it means)
    OH, OW = get_conv_outsize(H, KH, SH, PH), get_conv_outsize(W, KW, SW, PW)
    col = im2col(x, kernel_size, stride, pad, to_matrix=True).reshape(-1, KH * KW)
    return max_(col, axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)
