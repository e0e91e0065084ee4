"""The book's ``dezero.layers`` (``import dezero.layers as L``): dezero_core's layers, initialized as the
book initializes them.

The weights are drawn from the array module's global generator (``np.random.randn``, or
``cupy.random.randn`` for a layer created on the GPU) with the book's scale, in the book's order:
``Linear``'s ``W`` is ``randn(in, out).astype(dtype) * sqrt(1/in)``, ``Conv2d``'s
``randn(OC, C, KH, KW).astype(dtype) * sqrt(1/(C*KH*KW))``, at construction when the input size is
given, else at the first call. So ``np.random.seed(0)`` gives the book's initial weights and the
book's printed losses. ``dtype`` defaults to float32, as in the book (dezero_core's layers take the
input's dtype); biases are zeros from construction.

``Layer`` holds its parameters by attribute name and walks them in name order (the book uses a
set, whose order changes between runs); weight files name parameters ``l1/W`` as the book's do.
``RNN``'s hidden-to-hidden weight is sized by the hidden size (the book sizes it by ``in_size``,
which breaks when the two differ). ``LSTM`` has the book's eight ``Linear`` layers (``x2f`` ...
``h2u``), so the book's weight files load into it. ``BatchNorm`` keeps its running averages as
Parameters ``avg_mean`` and ``avg_var``, as the book does (they are saved with the weights and never
get a gradient). Layers the book does not have (``Dropout``, ``LayerNorm``, ``GRU``,
``Sequential``, plugins' layers) are found in the ``dezero.layers`` entry-point group on first access.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero_core import functions as _F
from dezero_core import layers as _L
from dezero_core.backend.protocol import ArrayBackend
from dezero_core.backend.selection import backend_of
from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.graph.transfer import move_array
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.layers import initializers as _init
from dezero_core.layers.conv import pair
from dezero_core.layers import Layer, StateDictError

__all__ = ["BatchNorm", "Conv2d", "Deconv2d", "EmbedID", "LSTM", "Layer", "Linear", "RNN", "StateDictError"]


def book_randn(backend: ArrayBackend, shape: tuple[int, ...], dtype: Any, scale: float | None = None) -> Any:
    """``xp.random.randn(*shape).astype(dtype) * scale`` on ``backend``, drawn as the book draws it.

    ``xp`` is numpy (its global generator, so ``np.random.seed`` makes it repeatable) or, for the
    cupy backend, cupy. The scale is multiplied in ``dtype``, as numpy 1 did when the book printed
    its numbers (numpy 2 would promote the float32 weights to float64). Other backends get numpy's
    draw, converted.
    """
    if backend.name == "cupy":
        import cupy as xp
    elif backend.name == "numpy":
        xp = np
    else:
        host = np.random.randn(*shape)
        return backend.asarray(host if scale is None else host * scale, dtype=dtype)
    w = xp.random.randn(*shape).astype(dtype)
    return w if scale is None else w * w.dtype.type(scale)


def dtype_name(dtype: Any) -> str | None:
    """``dtype`` (``np.float32``, ``"float32"``, a dtype, or None) by name, which every backend resolves
    to its own dtype: the book passes numpy's types, and the layers may live on another backend."""
    return dtype if dtype is None or isinstance(dtype, str) else np.dtype(dtype).name


class _BookWeights:
    """The book's initialization of a layer with a weight ``W`` (drawn by :func:`book_randn` with scale
    ``sqrt(1/fan_in)``) and a bias ``b`` (zeros, created with the layer as the book creates it)."""

    W: Parameter
    b: Parameter | None

    def _weight_layout(self) -> tuple[tuple[int, ...], int]:
        """(the shape of ``W``, its fan-in)."""
        raise NotImplementedError

    def _bias_size(self) -> int:
        raise NotImplementedError

    def _create_bias(self, dtype: Any) -> None:
        """``b`` at construction, as in the book (``W`` may wait for the first input's size)."""
        if self.b is not None and self.b.data is None and dtype is not None:
            backend, dtype = _init.creation_target(dtype)
            self.b.data = _init.zeros(backend, (self._bias_size(),), dtype)

    def _init_params(self, backend: ArrayBackend, dtype: Any) -> None:
        shape, fan_in = self._weight_layout()
        self.W.data = book_randn(backend, shape, dtype, math.sqrt(1 / fan_in))
        if self.b is None:
            return
        if self.b.data is None:
            self.b.data = _init.zeros(backend, (self._bias_size(),), dtype)
        elif backend_of(self.b.data) is not backend:  # the first input came on another backend (the GPU)
            self.b.data = move_array(self.b.data, backend.name)


class Linear(_BookWeights, _L.Linear):
    """``y = x @ W + b``; ``W`` ``(in_size, out_size)`` is ``randn(in, out) * sqrt(1/in)`` from numpy's
    global generator (at the first call when ``in_size`` is None), in ``dtype`` (float32)."""

    def __init__(self, out_size: int, nobias: bool = False, dtype: Any = np.float32, in_size: int | None = None) -> None:
        super().__init__(out_size, nobias=nobias, dtype=dtype_name(dtype), in_size=in_size)
        self._create_bias(self.dtype)

    def _weight_layout(self) -> tuple[tuple[int, ...], int]:
        return (self.in_size, self.out_size), self.in_size

    def _bias_size(self) -> int:
        return self.out_size


class _BookConvolution(_BookWeights):
    """Conv2d's and Deconv2d's: ``W`` from numpy's global generator with scale ``sqrt(1/(C*KH*KW))``."""

    in_channels: int
    out_channels: int
    kernel_size: Any

    def _weight_layout(self) -> tuple[tuple[int, ...], int]:
        kh, kw = pair(self.kernel_size)
        return self._weight_shape(), self.in_channels * kh * kw  # type: ignore[attr-defined]

    def _bias_size(self) -> int:
        return self.out_channels


class Conv2d(_BookConvolution, _L.Conv2d):
    """2-D convolution; ``W`` ``(out_channels, in_channels, KH, KW)`` is drawn as the book draws it."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, pad: Any = 0, nobias: bool = False,
                 dtype: Any = np.float32, in_channels: int | None = None) -> None:
        super().__init__(out_channels, kernel_size, stride, pad, nobias, dtype_name(dtype), in_channels)
        self._create_bias(self.dtype)


class Deconv2d(_BookConvolution, _L.Deconv2d):
    """2-D transposed convolution; ``W`` ``(in_channels, out_channels, KH, KW)`` is drawn as the book
    draws it."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, pad: Any = 0, nobias: bool = False,
                 dtype: Any = np.float32, in_channels: int | None = None) -> None:
        super().__init__(out_channels, kernel_size, stride, pad, nobias, dtype_name(dtype), in_channels)
        self._create_bias(self.dtype)


class EmbedID(_L.EmbedID):
    """Row ``i`` of ``W`` for every id ``i``; ``W`` ``(in_size, out_size)`` is ``np.random.randn(in, out)``
    (float64, as in the book, unless ``dtype`` is given)."""

    def __init__(self, in_size: int, out_size: int, dtype: Any = np.float64) -> None:
        # (not dezero_core's __init__, which draws from dezero_core's generator)
        Layer.__init__(self)
        self.in_size = in_size
        self.out_size = out_size
        backend, dtype = _init.creation_target(dtype_name(dtype))
        self.W = Parameter(book_randn(backend, (in_size, out_size), dtype), name="W")


class RNN(_L.RNN):
    """Elman RNN, ``h_t = tanh(x2h(x_t) + h2h(h_{t-1}))``, with the book's two ``Linear`` layers.

    With ``in_size=None`` both are created at their first call, in the book's order (``x2h`` at the
    first step, ``h2h`` at the second).
    """

    def __init__(self, hidden_size: int, in_size: int | None = None, dtype: Any = np.float32) -> None:
        # (not dezero_core's __init__, which creates h2h at once, out of the book's drawing order)
        Layer.__init__(self)
        self.hidden_size = hidden_size
        self.x2h = Linear(hidden_size, in_size=in_size, dtype=dtype)
        self.h2h = Linear(hidden_size, in_size=None if in_size is None else hidden_size, nobias=True, dtype=dtype)
        self.reset_state()


class LSTM(_L.LSTM):
    """Long short-term memory, laid out as the book's: ``x2f``, ``x2i``, ``x2o``, ``x2u`` (input to
    forget, input and output gates and candidate, with biases) and ``h2f`` ... ``h2u`` (hidden to the
    same, without). Returns ``h_t``; the cell state is ``c``.

    ``f, i, o = sigmoid(x2*(x) + h2*(h))``, ``u = tanh(x2u(x) + h2u(h))``, ``c = f * c + i * u``,
    ``h = o * tanh(c)``; weights are drawn in the book's order (``h2*`` at construction, ``x2*`` at the
    first call unless ``in_size`` is given). dezero_core's LSTM fuses the gates into two products.
    """

    def __init__(self, hidden_size: int, in_size: int | None = None, dtype: Any = np.float32) -> None:
        # (not dezero_core's __init__: its fused x2h/h2h are not the book's layout)
        Layer.__init__(self)
        H, I = hidden_size, in_size
        self.hidden_size = hidden_size
        self.x2f = Linear(H, in_size=I, dtype=dtype)
        self.x2i = Linear(H, in_size=I, dtype=dtype)
        self.x2o = Linear(H, in_size=I, dtype=dtype)
        self.x2u = Linear(H, in_size=I, dtype=dtype)
        self.h2f = Linear(H, in_size=H, nobias=True, dtype=dtype)
        self.h2i = Linear(H, in_size=H, nobias=True, dtype=dtype)
        self.h2o = Linear(H, in_size=H, nobias=True, dtype=dtype)
        self.h2u = Linear(H, in_size=H, nobias=True, dtype=dtype)
        self.reset_state()

    def forward(self, x: Any) -> Variable:
        """One time step; ``x`` has shape ``(batch, in_size)``."""
        if self.h is None:
            f = _F.sigmoid(self.x2f(x))
            i = _F.sigmoid(self.x2i(x))
            o = _F.sigmoid(self.x2o(x))
            u = _F.tanh(self.x2u(x))
        else:
            f = _F.sigmoid(self.x2f(x) + self.h2f(self.h))
            i = _F.sigmoid(self.x2i(x) + self.h2i(self.h))
            o = _F.sigmoid(self.x2o(x) + self.h2o(self.h))
            u = _F.tanh(self.x2u(x) + self.h2u(self.h))
        self.c = i * u if self.c is None else f * self.c + i * u
        self.h = o * _F.tanh(self.c)
        return self.h

    def extra_repr(self) -> str:
        return f"in_size={self.x2f.in_size}, hidden_size={self.hidden_size}"


class BatchNorm(_L.BatchNorm):
    """Batch normalization over axis 1 with the book's running averages: Parameters ``avg_mean`` and
    ``avg_var`` (``layer.avg_mean.data``), saved and loaded with the weights, never trained.

    In training the batch's statistics normalize ``x`` and update the averages in place
    (``avg = decay * avg + (1 - decay) * batch``); in test mode the averages normalize it.
    """

    def __init__(self, size: int | None = None, decay: float = 0.9, eps: float = 2e-5, dtype: Any = None) -> None:
        super().__init__(None, decay, eps, dtype_name(dtype))
        # dezero_core keeps the averages as buffers; the book's are Parameters (its save_weights
        # saves only Parameters): they are no gradient's target, so optimizers pass them by
        buffers = self.__dict__["_buffers"]
        for name in ("avg_mean", "avg_var"):
            buffers.pop(name)
            setattr(self, name, Parameter(None, name=name))
        if size is not None:
            self.size = size
            self._init_params(*_init.creation_target(self.dtype))

    def _init_params(self, backend: ArrayBackend, dtype: Any) -> None:
        size = (self.size,)
        self.gamma.data = _init.ones(backend, size, dtype)
        self.beta.data = _init.zeros(backend, size, dtype)
        self.avg_mean.data = _init.zeros(backend, size, dtype)
        self.avg_var.data = _init.ones(backend, size, dtype)

    def forward(self, x: Any) -> Variable:
        """Normalize ``x``; in training, also update the running averages in place."""
        self._ensure_params(x, 1, 2, "(N, C) or (N, C, H, W)")
        return _F.batch_norm(x, self.gamma, self.beta, self.avg_mean.data, self.avg_var.data, self.decay, self.eps)


__getattr__, __dir__ = lazy_module_attributes("dezero.layers", __all__)
