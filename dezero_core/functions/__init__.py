"""The differentiable functions. Built-ins are plain attributes; plugin functions are looked up by
name in the ``dezero.functions`` entry-point group on first access."""
from __future__ import annotations

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.functions.arithmetic import (
    add, add_scalar, div, div_scalar, mul, mul_scalar, neg, pow, power, rdiv_scalar, rpow_scalar,
    rsub_scalar, sub,
)
from dezero_core.functions.elementwise import cos, exp, log, sin, tanh
from dezero_core.functions.linalg import matmul
from dezero_core.functions.reduction import sum
from dezero_core.functions.shape import (
    broadcast_to, get_item, matrix_transpose, permute_dims, reshape, sum_to, transpose,
)

__all__ = [
    "add", "add_scalar", "broadcast_to", "cos", "div", "div_scalar", "exp", "get_item", "log",
    "matmul", "matrix_transpose", "mul", "mul_scalar", "neg", "permute_dims", "pow", "power",
    "rdiv_scalar", "reshape", "rpow_scalar", "rsub_scalar", "sin", "sub", "sum", "sum_to", "tanh",
    "transpose",
]


__getattr__, __dir__ = lazy_module_attributes("dezero.functions", __all__)
