"""``Conv2d`` and ``Deconv2d``: 2-D convolution and its transpose over NCHW batches."""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.functions.conv_utils import Window, pair
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.layers import initializers as init
from dezero_core.layers.checks import check_input, optional_size, positive_size
from dezero_core.layers.layer import Layer


class _Convolution(Layer):
    """What Conv2d and Deconv2d share: lazy ``in_channels``, N(0, 1/(C*KH*KW)) weights, a bias."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any, pad: Any, nobias: bool, dtype: Any,
                 in_channels: int | None) -> None:
        super().__init__()
        layer = type(self).__name__
        Window.of(layer, kernel_size, stride, pad)  # refused here, not at the first call
        self.in_channels = optional_size(layer, "in_channels", in_channels)
        self.out_channels = positive_size(layer, "out_channels", out_channels)
        self.kernel_size = kernel_size
        self.stride = stride
        self.pad = pad
        self.dtype = dtype
        self.W = Parameter(None, name="W")
        self.b = None if nobias else Parameter(None, name="b")
        if in_channels is not None:
            self._init_params(*init.creation_target(dtype))

    def _weight_shape(self) -> tuple[int, int, int, int]:
        raise NotImplementedError

    def _init_params(self, backend: Any, dtype: Any) -> None:
        kh, kw = pair(self.kernel_size)
        self.W.data = init.fan_in_normal(backend, self._weight_shape(), self.in_channels * kh * kw, dtype)
        if self.b is not None:
            self.b.data = init.zeros(backend, (self.out_channels,), dtype)

    def param_shape(self, attr: str) -> tuple[int | None, ...] | None:
        """``W``'s shape (``in_channels`` None until the first call) and ``b``'s ``(out_channels,)``."""
        return {"W": self._weight_shape(), "b": (self.out_channels,)}.get(attr)

    def _ensure_params(self, x: Any) -> None:
        if self.W.data is None:
            check_input(type(self).__name__, x, 4, "(N, C, H, W)")
            self.in_channels = x.shape[1]
            self._init_params(*init.creation_target(self.dtype, x))

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, out_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, pad={self.pad}, nobias={self.b is None}")


class Conv2d(_Convolution):
    """2-D convolution; ``W`` has shape ``(out_channels, in_channels, KH, KW)``.

    ``in_channels=None`` creates ``W`` at the first call from ``x.shape[1]`` (see :class:`Linear`).
    """

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, pad: Any = 0, nobias: bool = False,
                 dtype: Any = None, in_channels: int | None = None) -> None:
        super().__init__(out_channels, kernel_size, stride, pad, nobias, dtype, in_channels)

    def _weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels, *pair(self.kernel_size))

    def forward(self, x: Any) -> Variable:
        """The convolution of ``x`` (N, C, H, W)."""
        self._ensure_params(x)
        return F.conv2d(x, self.W, self.b, self.stride, self.pad)


class Deconv2d(_Convolution):
    """2-D transposed convolution; ``W`` has shape ``(in_channels, out_channels, KH, KW)``.

    ``in_channels=None`` creates ``W`` at the first call from ``x.shape[1]`` (see :class:`Linear`).
    """

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, pad: Any = 0, nobias: bool = False,
                 dtype: Any = None, in_channels: int | None = None) -> None:
        super().__init__(out_channels, kernel_size, stride, pad, nobias, dtype, in_channels)

    def _weight_shape(self) -> tuple[int, int, int, int]:
        return (self.in_channels, self.out_channels, *pair(self.kernel_size))

    def forward(self, x: Any, outsize: Any = None) -> Variable:
        """The transposed convolution of ``x`` (N, C, H, W); ``outsize`` picks (H, W) when ambiguous."""
        self._ensure_params(x)
        return F.deconv2d(x, self.W, self.b, self.stride, self.pad, outsize)
