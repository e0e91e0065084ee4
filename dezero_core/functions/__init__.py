"""The differentiable functions: ``dezero_core.functions.relu``, ``F.softmax_cross_entropy``...

One list of the built-ins: the ``dezero.functions`` entry points of dezero-core's ``pyproject.toml``.
At run time every name, built-in or a plugin's, is looked up there on first access
(:mod:`dezero_core.discovery.lazy`), so ``F.relu`` and ``registry("dezero.functions").get("relu")``
are one answer. The imports below are for IDEs and type checkers only; tests/discovery checks that
they and the entry points name the same functions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.functions import operators

if TYPE_CHECKING:
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
    from dezero_core.functions.elementwise import (
        abs, clip, cos, erf, exp, log, maximum, minimum, sin, sqrt, tanh, where,
    )
    from dezero_core.functions.linalg import matmul
    from dezero_core.functions.losses import (
        binary_cross_entropy, cross_entropy, mean_squared_error, sigmoid_cross_entropy, softmax_cross_entropy,
    )
    from dezero_core.functions.metrics import accuracy
    from dezero_core.functions.indexing import get_item
    from dezero_core.functions.joining import concat, pad, split, stack
    from dezero_core.functions.reductions import average, logsumexp, max, mean, min, std, sum, var
    from dezero_core.functions.shape import (
        broadcast_to, expand_dims, flatten, matrix_transpose, permute_dims, reshape, squeeze, sum_to, transpose,
        unsqueeze,
    )
    from dezero_core.functions.conv import col2im, conv2d, deconv2d, im2col
    from dezero_core.functions.noise import dropout
    from dezero_core.functions.embedding import embed_id
    from dezero_core.functions.affine import linear
    from dezero_core.functions.normalization import batch_norm, layer_norm
    from dezero_core.functions.pool import average_pooling, pooling

operators.install()

__getattr__, __dir__ = lazy_module_attributes("dezero.functions", namespace=globals())
