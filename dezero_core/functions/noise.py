"""Random noise functions: dropout (in training, zero each element with a given probability, scale the rest)."""
from __future__ import annotations

from typing import Any

from dezero_core.backend.protocol import RandomGenerator
from dezero_core.config import is_training
from dezero_core.functions.validation import require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable, as_variable
from dezero_core.random import get_generator
from dezero_core.functions.spec import Arg, Sample, checked


class Dropout(Function):
    impure = True  # draws random numbers: static graphs never merge, fold or drop it
    generator: Any = None  # the thread's default; an instance attribute only when given (attributes are the IR's)

    def __init__(self, ratio: float, generator: Any = None) -> None:
        self.ratio = ratio
        if generator is not None:
            self.generator = generator
        self.mask: Any = None

    def forward(self, xp, x):
        u = (self.generator or get_generator(xp.backend)).uniform(0.0, 1.0, tuple(x.shape), x.dtype)
        # kept elements carry 1/(1 - ratio) so that the expected output is x: test mode is identity
        self.mask = xp.astype(u > self.ratio, x.dtype) * (1.0 / (1.0 - self.ratio))
        return x * self.mask

    def backward(self, xp, xs, y, gy):
        return gy * self.mask


@checked((Arg((2, 3)),), (Arg((4, 5)), 0.3), Sample((Arg((3, 4)),), {"dropout_ratio": 0.8}), random=True,
         double_grad=True)
def dropout(x: Any, dropout_ratio: float = 0.5, generator: RandomGenerator | None = None) -> Variable:
    """Inverted dropout: in training each element is zeroed with probability ``dropout_ratio`` and
    the others are multiplied by ``1 / (1 - dropout_ratio)``; in test mode ``x`` passes unchanged.

    The mask comes from ``generator`` (a generator of x's backend), by default from the calling
    thread's :func:`dezero_core.random.get_generator` of x's backend, so ``dezero_core.random.seed``
    makes it repeatable.
    """
    if not 0.0 <= dropout_ratio < 1.0:
        raise ValueError(f"dropout: dropout_ratio must be in [0, 1), got {dropout_ratio}")
    require_float("dropout", x)
    if not is_training() or dropout_ratio == 0.0:
        return as_variable(x)
    return Dropout(float(dropout_ratio), generator)(x)


__all__ = ["dropout"]
