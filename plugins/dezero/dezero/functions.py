"""The book's ``dezero.functions`` (``import dezero.functions as F``), mapped onto dezero_core.

Every function the book defines is here with the book's signature and defaults. Most *are*
dezero_core's functions; the book's ``*_simple`` variants are compositions of them, as in the book;
``dropout`` draws its mask from numpy's global random generator, as the book's does (so
``np.random.seed`` makes it repeatable); ``batch_nrom`` is the book's spelling of ``batch_norm``.
The Function classes the book names (``Sin``, ``Exp``, ``Sum``, ``Linear``, ``BatchNorm``...) are
dezero_core's (their constructors are dezero_core's: call the functions rather than the classes).

Names the book does not define but dezero_core or a plugin registers (``gelu``, ``layer_norm``...)
are found in the ``dezero.functions`` entry-point group on first access.

The losses keep the book's definitions on top of dezero_core's: summed over the features and
averaged over the batch (dezero_core averages over every element), and ``mean_squared_error``
broadcasts ``x0`` against ``x1`` as the book's does (dezero_core asks for equal shapes). Where
dezero_core differs from the book otherwise, it follows the usual definition: the gradient of
``max``/``min`` is shared between tied elements, ``binary_cross_entropy`` clamps its logs at -100
instead of clipping ``p`` to [1e-15, 0.999], max pooling pads with -inf instead of 0.
"""
from __future__ import annotations

import functools
from typing import Any

from dezero_core.config import TRAIN
from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.functions import (
    accuracy, average, batch_norm, broadcast_to, clip, cos, embed_id, exp, expand_dims, flatten,
    leaky_relu, linear, log, log_softmax, max, mean, min, relu, reshape, sigmoid, sin, softmax, sum,
    sum_to, tanh, transpose,
)
from dezero_core import functions as _F
from dezero_core.functions.activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax
from dezero_core.functions.affine import Linear
from dezero_core.functions.elementwise import Clip, Cos, Exp, Log, Sin, Tanh
from dezero_core.functions.indexing import GetItem, GetItemGrad
from dezero_core.functions.linalg import MatMul
from dezero_core.functions.losses import MeanSquaredError, SoftmaxCrossEntropy
from dezero_core.functions.normalization import Normalization as BatchNorm
from dezero_core.functions.reductions import Max, Min, Sum
from dezero_core.functions.shape import BroadcastTo, Reshape, SumTo, Transpose

from dezero import cuda
from dezero.core import Function, Variable, add, as_array, as_variable, div, mul, neg, pow, rsub, sub
from dezero.functions_conv import (
    average_pooling, col2im, conv2d, conv2d_simple, deconv2d, im2col, pooling, pooling_simple,
)
from dezero.integers import keeping_integers, promoting

__all__ = [
    # the book's functions
    "accuracy", "add", "average", "average_pooling", "batch_nrom", "binary_cross_entropy",
    "broadcast_to", "clip", "col2im", "conv2d", "conv2d_simple", "cos", "deconv2d", "div", "dropout",
    "embed_id", "exp", "expand_dims", "flatten", "get_item", "im2col", "leaky_relu", "linear",
    "linear_simple", "log", "log_softmax", "matmul", "max", "mean", "mean_squared_error",
    "mean_squared_error_simple", "min", "mul", "neg", "pooling", "pooling_simple", "pow", "relu",
    "reshape", "rsub", "sigmoid", "sigmoid_cross_entropy", "sigmoid_simple", "sin", "softmax",
    "softmax_cross_entropy", "softmax_cross_entropy_simple", "softmax_simple", "sub", "sum",
    "sum_to", "tanh", "transpose",
    # dezero_core's spelling of batch_nrom
    "batch_norm",
    # the book's Function classes
    "BatchNorm", "BroadcastTo", "Clip", "Cos", "Exp", "GetItem", "GetItemGrad", "LeakyReLU", "Linear", "Log",
    "LogSoftmax", "MatMul", "Max", "MeanSquaredError", "Min", "ReLU", "Reshape", "Sigmoid", "Sin", "Softmax",
    "SoftmaxCrossEntropy", "Sum", "SumTo", "Tanh", "Transpose",
    # what the book's module imports and its readers reach through F
    "Function", "Variable", "as_array", "as_variable",
]


# The book's functions take integer arrays, computing as numpy does (see dezero.integers): float
# formulas promote them to float64, linear algebra and reductions keep them.
sin, cos, tanh, exp, log = map(promoting, (sin, cos, tanh, exp, log))
sigmoid, relu, leaky_relu, softmax, log_softmax, mean, average = map(
    promoting, (sigmoid, relu, leaky_relu, softmax, log_softmax, mean, average))
linear, max, min, clip, sum, sum_to = map(keeping_integers, (linear, max, min, clip, sum, sum_to))


@keeping_integers
def matmul(x: Any, W: Any) -> Variable:
    """The matrix product ``x @ W``."""
    return _F.matmul(x, W)


def get_item(x: Any, slices: Any) -> Variable:
    """``x[slices]``: any numpy index (ints, slices, index arrays); the gradient scatters back."""
    return _F.get_item(x, slices)


def linear_simple(x: Any, W: Any, b: Any = None) -> Variable:
    """``x @ W + b`` as two functions, matmul then add (the book's first version of ``linear``)."""
    t = matmul(x, W)
    return t if b is None else t + b


def sigmoid_simple(x: Any) -> Variable:
    """``1 / (1 + exp(-x))`` composed of elementary functions."""
    x = as_variable(x)
    return 1 / (1 + exp(-x))


def softmax_simple(x: Any, axis: int = 1) -> Variable:
    """``exp(x) / sum(exp(x), axis)`` composed of elementary functions (no max subtraction)."""
    y = exp(x)
    return y / sum(y, axis=axis, keepdims=True)


def mean_squared_error_simple(x0: Any, x1: Any) -> Variable:
    """``sum((x0 - x1) ** 2) / len(x0)`` composed of elementary functions."""
    x0, x1 = as_variable(x0), as_variable(x1)
    diff = x0 - x1
    return sum(diff ** 2) / len(diff)


@functools.partial(promoting, arrays=2)
def mean_squared_error(x0: Any, x1: Any) -> Variable:
    """``sum((x0 - x1) ** 2) / len(x0)``: the squared error summed over the features, averaged over
    the batch. ``x1`` may broadcast against ``x0``, as in the book."""
    x0, x1 = as_variable(x0), as_variable(x1)
    if x0.shape != x1.shape:  # the book's SinCurve RNN compares (1, 1) with (1,)
        return mean_squared_error_simple(x0, x1)
    return _over_batch(_F.mean_squared_error(x0, x1), x0)


@promoting
def softmax_cross_entropy(x: Any, t: Any) -> Variable:
    """Cross-entropy of ``softmax(x)`` (N, C) and the labels ``t`` (N,), averaged over the batch.

    Labels shaped ``(N, 1)`` are flattened, as the book does.
    """
    if x.ndim == 2 and t.ndim != 1:
        t = t.reshape(-1)
    return _F.softmax_cross_entropy(x, t)


@promoting
def sigmoid_cross_entropy(x: Any, t: Any) -> Variable:
    """Binary cross-entropy of ``sigmoid(x)`` and targets ``t`` (reshaped to ``x``'s shape), summed
    over the features and averaged over the batch."""
    if x.ndim != t.ndim:
        t = t.reshape(*x.shape)
    return _over_batch(_F.sigmoid_cross_entropy(x, t), x)


@promoting
def binary_cross_entropy(p: Any, t: Any) -> Variable:
    """Binary cross-entropy of probabilities ``p`` and targets ``t`` (reshaped to ``p``'s shape),
    summed over the features and averaged over the batch."""
    if p.ndim != t.ndim:
        t = t.reshape(*p.shape)
    return _over_batch(_F.binary_cross_entropy(p, t), p)


def _over_batch(loss: Variable, x: Any) -> Variable:
    """A loss averaged over every element of ``x``, as the book's average over the batch (axis 0)."""
    per_sample = x.size // x.shape[0] if x.ndim and x.shape[0] else 1
    return loss if per_sample == 1 else loss * per_sample


def softmax_cross_entropy_simple(x: Any, t: Any) -> Variable:
    """Cross-entropy of ``softmax(x)`` and the labels ``t``, composed of elementary functions."""
    x, t = as_variable(x), as_variable(t)
    N = x.shape[0]
    p = clip(softmax(x), 1e-15, 1.0)  # (the clip keeps log away from 0)
    xp = cuda.get_array_module(t.data)
    tlog_p = log(p)[xp.arange(N), t.data]
    return -1 * sum(tlog_p) / N


def dropout(x: Any, dropout_ratio: float = 0.5) -> Variable:
    """Inverted dropout in training, the identity in test mode (``dezero.test_mode()``).

    As in the book, the mask comes from the array module's global generator (``np.random.rand``),
    so ``np.random.seed(n)`` makes it repeatable; ``dezero_core.functions.dropout`` uses
    dezero_core's generators instead.
    """
    x = as_variable(x)
    if not TRAIN.get():
        return x
    xp = cuda.get_array_module(x)
    mask = xp.random.rand(*x.shape) > dropout_ratio
    # one constant factor, mask / (1 - ratio), in x's dtype: a float32 x stays float32
    return x * (mask.astype(x.dtype) * (1.0 / (1.0 - dropout_ratio)))


def batch_nrom(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, decay: float = 0.9,
               eps: float = 2e-5) -> Variable:
    """The book's spelling of :func:`batch_norm`: in training, ``mean`` and ``var`` (the running
    averages, arrays) are updated in place, as in the book."""
    return batch_norm(x, gamma, beta, mean, var, decay, eps)


__getattr__, __dir__ = lazy_module_attributes("dezero.functions", __all__)
