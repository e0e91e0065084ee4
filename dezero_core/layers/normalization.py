"""``BatchNorm`` and ``LayerNorm``: normalization with a learned scale ``gamma`` and shift ``beta``."""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.layers import initializers as init
from dezero_core.layers.checks import check_input, optional_size
from dezero_core.layers.layer import Layer


class _Normalization(Layer):
    """``gamma`` (ones) and ``beta`` (zeros) of one size, created at once or from the first input."""

    def __init__(self, size: int | None, eps: float, dtype: Any) -> None:
        super().__init__()
        self.size = optional_size(type(self).__name__, "size", size)
        self.eps = eps
        self.dtype = dtype
        self.gamma = Parameter(None, name="gamma")
        self.beta = Parameter(None, name="beta")
        if size is not None:
            self._init_params(*init.creation_target(dtype))

    def _init_params(self, backend: Any, dtype: Any) -> None:
        self.gamma.data = init.ones(backend, (self.size,), dtype)
        self.beta.data = init.zeros(backend, (self.size,), dtype)

    def _ensure_params(self, x: Any, axis: int, at_least: int, layout: str) -> None:
        if self.gamma.data is None:
            check_input(type(self).__name__, x, at_least, layout)
            self.size = x.shape[axis]
            self._init_params(*init.creation_target(self.dtype, x))

    def param_shape(self, attr: str) -> tuple[int | None, ...] | None:
        """``(size,)`` for ``gamma``, ``beta`` and the running averages (size None until the first call)."""
        return (self.size,) if attr in ("gamma", "beta", "avg_mean", "avg_var") else None

    def extra_repr(self) -> str:
        return f"size={self.size}, eps={self.eps}"


class BatchNorm(_Normalization):
    """Batch normalization over axis 1 (features of (N, D), channels of (N, C, H, W)).

    In training it normalizes with the batch's statistics and updates the running averages
    ``avg_mean`` and ``avg_var`` (``avg = decay * avg + (1 - decay) * batch``); in test mode it uses
    the running averages. These are buffers: saved and moved with the parameters, never trained.
    ``size=None`` (the book's default) takes the size from the first input.
    """

    def __init__(self, size: int | None = None, decay: float = 0.9, eps: float = 2e-5, dtype: Any = None) -> None:
        self.decay = decay
        self.register_buffer("avg_mean", None)
        self.register_buffer("avg_var", None)
        super().__init__(size, eps, dtype)

    def _init_params(self, backend: Any, dtype: Any) -> None:
        super()._init_params(backend, dtype)
        self.avg_mean = init.zeros(backend, (self.size,), dtype)
        self.avg_var = init.ones(backend, (self.size,), dtype)

    def forward(self, x: Any) -> Variable:
        """Normalize ``x``; in training, also update the running averages in place."""
        self._ensure_params(x, 1, 2, "(N, C) or (N, C, H, W)")
        return F.batch_norm(x, self.gamma, self.beta, self.avg_mean, self.avg_var, self.decay, self.eps)


class LayerNorm(_Normalization):
    """Layer normalization over the last axis, then ``gamma * x_hat + beta`` (both of its size).

    ``size=None`` takes the size from the first input's last axis.
    """

    def __init__(self, size: int | None = None, eps: float = 1e-5, dtype: Any = None) -> None:
        super().__init__(size, eps, dtype)

    def forward(self, x: Any) -> Variable:
        """Normalize each row of ``x`` over its last axis."""
        self._ensure_params(x, -1, 1, "(..., size)")
        return F.layer_norm(x, self.gamma, self.beta, self.eps)
