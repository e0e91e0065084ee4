"""``Linear``: the fully connected layer ``y = x @ W + b``."""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.layers import initializers as init
from dezero_core.layers.checks import check_input, optional_size, positive_size
from dezero_core.layers.layer import Layer


class Linear(Layer):
    """``y = x @ W + b`` with ``W`` of shape ``(in_size, out_size)``, drawn from N(0, 1/in_size).

    With ``in_size=None`` (the default, as in the book) ``W`` is created at the first call, from the
    last axis of ``x`` (``x.shape[1]`` for a batch of vectors), on x's backend and in x's floating
    dtype unless ``dtype`` is given; that input is checked first, so a first call that fails creates
    nothing. Otherwise the parameters are created at once on the current backend, in ``dtype``
    (float32 by default).
    """

    def __init__(self, out_size: int, nobias: bool = False, dtype: Any = None, in_size: int | None = None) -> None:
        super().__init__()
        self.in_size = optional_size("Linear", "in_size", in_size)
        self.out_size = positive_size("Linear", "out_size", out_size)
        self.dtype = dtype
        self.W = Parameter(None, name="W")
        self.b = None if nobias else Parameter(None, name="b")
        if in_size is not None:
            self._init_params(*init.creation_target(dtype))

    def _init_params(self, backend: Any, dtype: Any) -> None:
        self.W.data = init.fan_in_normal(backend, (self.in_size, self.out_size), self.in_size, dtype)
        if self.b is not None:
            self.b.data = init.zeros(backend, (self.out_size,), dtype)

    def param_shape(self, attr: str) -> tuple[int | None, ...] | None:
        """``W`` is ``(in_size, out_size)`` (``in_size`` None until the first call), ``b`` ``(out_size,)``."""
        return {"W": (self.in_size, self.out_size), "b": (self.out_size,)}.get(attr)

    def forward(self, x: Any) -> Variable:
        """``x @ W + b`` for ``x`` of shape ``(batch, in_size)`` (or ``(..., in_size)``)."""
        if self.W.data is None:
            check_input("Linear", x, 2, "(batch, in_size)")
            self.in_size = x.shape[-1]
            self._init_params(*init.creation_target(self.dtype, x))
        return F.linear(x, self.W, self.b)

    def extra_repr(self) -> str:
        return f"in_size={self.in_size}, out_size={self.out_size}, nobias={self.b is None}"
