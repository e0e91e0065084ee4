"""Max and average pooling over the windows of NCHW batches (Chainer's geometry, cover_all=False).

Both go through one layout: the KH*KW elements of every window side by side as a
(KH*KW, C, N, OH, OW) array ``stack`` (one copy of the backend's im2col), so that a window's
reduction is KH*KW contiguous elementwise steps. Their gradients are one pair of functions:
:class:`WeightedPooling` (``y = sum_k w[k] * stack[k]``) and its adjoint
:class:`WeightedPoolingGrad` (``gstack[k] = w[k] * gy``, summed back with col2im). Average pooling
is WeightedPooling with ``w = 1/(KH*KW)``; max pooling's gradient is WeightedPoolingGrad with ``w``
the one-hot mask of each window's first maximum. Each is the other's gradient, so both poolings
have derivatives of any order.
"""
from __future__ import annotations

from typing import Any, Sequence

from dezero_core.functions.conv_utils import Window, check_image
from dezero_core.functions.dispatch import forward_or_record
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


def window_stack(xp: Any, x: Any, window: Window, pad_value: float = 0.0) -> Any:
    """The windows of ``x`` (N, C, H, W) as (KH*KW, C, N, OH, OW): ``[k]`` is offset k of every window.

    Channels before samples: the memory order of conv2d's output, so the one copy reads it in order.
    """
    col = xp.im2col(x, *window.args, pad_value=pad_value)  # (N, C, KH, KW, OH, OW)
    n, c, kh, kw, oh, ow = col.shape
    return xp.reshape(xp.permute_dims(col, (2, 3, 1, 0, 4, 5)), (kh * kw, c, n, oh, ow))


def swap_batch_and_channels(xp: Any, a: Any) -> Any:
    """(N, C, H, W) as (C, N, H, W), or back: a view."""
    return xp.permute_dims(a, (1, 0, 2, 3))


def first_max_mask(xp: Any, stack: Any, peak: Any) -> Any:
    """A mask shaped like ``stack`` in its dtype: 1 at the first element of each window equal to ``peak``.

    The first, as argmax picks it (and Chainer): with ties only one element gets the gradient.
    Built with comparisons and logical operations, which run as branch-free elementwise loops.
    """
    taken = xp.zeros(peak.shape, dtype=xp.bool, device=peak.device)
    masks = []
    for k in range(stack.shape[0]):
        hit = xp.logical_and(stack[k, ...] == peak, xp.logical_not(taken))
        taken = xp.logical_or(taken, hit)
        masks.append(hit)
    return xp.astype(xp.stack(masks), stack.dtype)


class MaxPooling(Function):
    """The maximum of every window; the padding is -inf, so it never wins."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.stack: Any = None
        self.peak: Any = None

    def forward(self, xp, x):
        self.stack = window_stack(xp, x, self.window, pad_value=-float("inf"))
        self.peak = xp.max(self.stack, axis=0)  # (C, N, OH, OW)
        return swap_batch_and_channels(xp, self.peak)

    def backward(self, xp, xs, y, gy):
        # built here, not in forward (inference never pays for it); a constant: on the raw arrays
        mask = first_max_mask(xp.backend.ops, self.stack, self.peak)
        return forward_or_record(WeightedPoolingGrad(self.window, tuple(xs[0].shape), mask), xp, gy)


class WeightedPooling(Function):
    """``y = sum_k w[k] * stack(x)[k]`` for fixed weights ``w`` broadcasting to (KH*KW, C, N, OH, OW)."""

    def __init__(self, window: Window, weights: Any) -> None:
        self.window = window
        self.weights = weights

    def forward(self, xp, x):
        return swap_batch_and_channels(xp, xp.sum(window_stack(xp, x, self.window) * self.weights, axis=0))

    def backward(self, xp, xs, y, gy):
        return forward_or_record(WeightedPoolingGrad(self.window, tuple(xs[0].shape), self.weights), xp, gy)


class WeightedPoolingGrad(Function):
    """The adjoint of :class:`WeightedPooling`: ``w[k] * gy`` added back at offset k of every window."""

    def __init__(self, window: Window, x_shape: tuple[int, ...], weights: Any) -> None:
        self.window = window
        self.x_shape = x_shape
        self.weights = weights

    def forward(self, xp, gy):
        n, c, oh, ow = gy.shape
        kh, kw = self.window.kh, self.window.kw
        # broadcast: the weights may be one number (average pooling)
        gstack = xp.broadcast_to(self.weights * swap_batch_and_channels(xp, gy), (kh * kw, c, n, oh, ow))
        col = xp.permute_dims(xp.reshape(gstack, (kh, kw, c, n, oh, ow)), (3, 2, 0, 1, 4, 5))
        return xp.col2im(col, self.x_shape, *self.window.args)

    def backward(self, xp, xs, y, ggx):
        return forward_or_record(WeightedPooling(self.window, self.weights), xp, ggx)


def _pooling_window(fn: str, x: Any, kernel_size: Any, stride: Any, pad: Any) -> Window:
    check_image(fn, x)
    window = Window.of(fn, kernel_size, stride, pad)
    window.check_fits(fn, tuple(x.shape))
    return window


X = Arg((1, 2, 6, 6))


@checked((Arg((2, 3, 4, 4)), 2, 2), (X, 3), (X, 3, 2, 1), (Arg((1, 2, 5, 7)), (2, 3), (1, 2), (1, 0)),
         double_grad=True)
def pooling(x: Any, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
            pad: int | Sequence[int] = 0) -> Variable:
    """Max pooling of ``x`` (N, C, H, W) over ``kernel_size`` windows (the book's name and defaults).

    ``stride`` defaults to 1, as in the book (pass ``stride=kernel_size`` for the usual
    non-overlapping pooling). Padding never wins the maximum (it is -inf). The output is
    (N, C, OH, OW) with ``OH = (H + 2*pad - KH) // stride + 1`` (Chainer's cover_all=False).
    The gradient goes to the first maximum of each window only.
    """
    return MaxPooling(_pooling_window("pooling", x, kernel_size, stride, pad))(x)


@checked((X, 2, 2), (X, 3), (X, 3, 2, 1), Sample((Arg((1, 2, 5, 7)), (2, 3)), {"stride": (1, 2), "pad": (1, 0)}),
         double_grad=True)
def average_pooling(x: Any, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                    pad: int | Sequence[int] = 0) -> Variable:
    """The mean of every ``kernel_size`` window of ``x`` (N, C, H, W); stride defaults to 1 (the book's).

    Zero padding counts in the mean (the divisor is always KH*KW), as in Chainer and the book.
    """
    window = _pooling_window("average_pooling", x, kernel_size, stride, pad)
    return WeightedPooling(window, 1.0 / (window.kh * window.kw))(x)


__all__ = ["average_pooling", "pooling"]
