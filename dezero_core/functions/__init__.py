"""The differentiable functions. Built-ins are plain attributes; plugin functions are looked up by
name in the ``dezero.functions`` entry-point group on first access."""
from __future__ import annotations

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.functions.arithmetic import (
    add, add_scalar, div, div_scalar, mul, mul_scalar, neg, pow, power, rdiv_scalar, rpow_scalar,
    rsub_scalar, sub,
)
from dezero_core.functions.activations import (
    elu, gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, softplus,
)
from dezero_core.functions.discrete import (
    argmax, argmin, equal, greater, greater_equal, less, less_equal, not_equal, one_hot,
)
from dezero_core.functions.elementwise import cos, exp, log, sin, tanh
from dezero_core.functions.linalg import matmul
from dezero_core.functions.losses import (
    binary_cross_entropy, cross_entropy, mean_squared_error, sigmoid_cross_entropy, softmax_cross_entropy,
)
from dezero_core.functions.math import abs, clip, erf, maximum, minimum, sqrt, where
from dezero_core.functions.metrics import accuracy
from dezero_core.functions.reduction import sum
from dezero_core.functions.shape import (
    broadcast_to, get_item, matrix_transpose, permute_dims, reshape, sum_to, transpose,
)
from dezero_core.functions.shape_ops import (
    concat, expand_dims, flatten, pad, split, squeeze, stack, unsqueeze,
)
from dezero_core.functions.statistics import average, logsumexp, max, mean, min, std, var
from dezero_core.functions.conv import col2im, conv2d, deconv2d, im2col
from dezero_core.functions.noise import dropout
from dezero_core.functions.embedding import embed_id
from dezero_core.functions.affine import linear
from dezero_core.functions.normalization import batch_norm, layer_norm
from dezero_core.functions.pool import average_pooling, pooling

__all__ = [
    "add", "add_scalar", "broadcast_to", "cos", "div", "div_scalar", "exp", "get_item", "log",
    "matmul", "matrix_transpose", "mul", "mul_scalar", "neg", "permute_dims", "pow", "power",
    "rdiv_scalar", "reshape", "rpow_scalar", "rsub_scalar", "sin", "sub", "sum", "sum_to", "tanh",
    "transpose",
    "abs", "accuracy", "argmax", "argmin", "average", "binary_cross_entropy", "clip", "concat",
    "cross_entropy", "elu", "equal", "erf", "expand_dims", "flatten", "gelu", "greater",
    "greater_equal", "leaky_relu", "less", "less_equal", "log_softmax", "logsumexp", "max",
    "maximum", "mean", "mean_squared_error", "min", "minimum", "not_equal", "one_hot", "pad", "relu",
    "sigmoid", "sigmoid_cross_entropy", "silu", "softmax", "softmax_cross_entropy", "softplus",
    "split", "sqrt", "squeeze", "stack", "std", "unsqueeze", "var", "where",
    "average_pooling", "batch_norm", "col2im", "conv2d", "deconv2d", "dropout", "embed_id", "im2col",
    "layer_norm", "linear", "pooling",
]


__getattr__, __dir__ = lazy_module_attributes("dezero.functions", __all__)
