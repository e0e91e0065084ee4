"""CUDA elementwise kernels: im2col/col2im, in the protocol's ``(N, C, KH, KW, OH, OW)`` layout, and the
fused Adam update (:data:`OPTIMIZERS`, what ``CupyBackend.optimizer_kernel`` returns).

The kernel source and why it is written so are in :mod:`dezero_cupy.kernel_source`; this module
builds the kernels (cupy compiles one at its first launch for each dtype) and launches them on the
device of their input.

Importing this module imports cupy: the backend imports it only after cupy was found usable.
"""
from __future__ import annotations

from typing import Any, Sequence

import cupy

from dezero_cupy import kernel_source

_IM2COL = cupy.ElementwiseKernel(*kernel_source.IM2COL)
_COL2IM = cupy.ElementwiseKernel(*kernel_source.COL2IM)
_ADAM = cupy.ElementwiseKernel(*kernel_source.ADAM, options=kernel_source.ADAM_OPTIONS)


def _index_type(*sizes: int) -> Any:
    return cupy.int32 if kernel_source.index_bits(*sizes) == 32 else cupy.int64


def _out_size(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


def im2col(x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int, pad_value: float = 0.0) -> Any:
    """Patches of the ``(N, C, H, W)`` array ``x`` as an ``(N, C, KH, KW, OH, OW)`` array.

    ``OH = (H + 2*ph - KH) // sy + 1`` (likewise OW); the padding reads as ``pad_value``.
    """
    n, c, h, w = x.shape
    out_h, out_w = _out_size(h, kh, sy, ph), _out_size(w, kw, sx, pw)
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"a {kh}x{kw} kernel with stride ({sy}, {sx}) and padding ({ph}, {pw}) does "
                         f"not fit a {h}x{w} image: the output would be {out_h}x{out_w}")
    with x.device:  # allocate and launch where x lives, not on the current device
        col = cupy.empty((n, c, kh, kw, out_h, out_w), dtype=x.dtype)
        it = _index_type(x.size, col.size)
        flat = cupy.ascontiguousarray(x).reshape(-1)  # raw arrays are indexed linearly
        args = (it(v) for v in (h, w, out_h, out_w, kh, kw, sy, sx, ph, pw))
        _IM2COL(flat, x.dtype.type(pad_value), *args, col)
    return col


def col2im(col: Any, img_shape: Sequence[int], kh: int, kw: int, sy: int, sx: int, ph: int,
           pw: int) -> Any:
    """The adjoint of :func:`im2col`: patch values summed back into an ``img_shape`` image."""
    n, c, h, w = img_shape
    out_h, out_w = col.shape[4], col.shape[5]
    expected = (n, c, kh, kw, _out_size(h, kh, sy, ph), _out_size(w, kw, sx, pw))
    if tuple(col.shape) != expected:
        raise ValueError(f"col2im: col has shape {tuple(col.shape)}, but im2col of a {tuple(img_shape)} "
                         f"image with these kernel/stride/padding gives {expected}")
    with col.device:
        img = cupy.empty((n, c, h, w), dtype=col.dtype)
        it = _index_type(img.size, col.size)
        flat = cupy.ascontiguousarray(col).reshape(-1)
        _COL2IM(flat, *(it(v) for v in (h, w, out_h, out_w, kh, kw, sy, sx, ph, pw)), img)
    return img


def adam(data: Any, grad: Any, m: Any, v: Any, beta1: float, beta2: float, step_size: float,
         eps: float) -> None:
    """``m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; data -= step_size · m / (√v + eps)``, in place,
    in one kernel launch.

    The hyperparameters (and ``1 - beta1``, ``1 - beta2``, computed in Python floats) become scalars
    of the parameter's dtype, as numpy's in-place operators make them (a Python float is cast to the
    array's dtype). A gradient of another dtype is cast to the
    parameter's first: the kernel computes in one type ``T``.
    """
    scalar = data.dtype.type
    if grad.dtype != data.dtype:
        grad = grad.astype(data.dtype)
    with data.device:  # launch where the parameter lives, not on the current device
        _ADAM(grad, scalar(beta1), scalar(1.0 - beta1), scalar(beta2), scalar(1.0 - beta2), scalar(step_size),
              scalar(eps), data, m, v)


OPTIMIZERS = {"adam": adam}
