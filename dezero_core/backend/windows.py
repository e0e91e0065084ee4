"""Portable im2col/col2im: the sliding windows of a convolution, with array-API functions only.

They are the defaults behind :meth:`ArrayBackend.im2col` and :meth:`ArrayBackend.col2im`. Both loop
over the KH x KW kernel offsets, never over pixels: offset ``(i, j)`` of every window is one strided
slice of the padded image, so each step moves a whole ``(N, C, OH, OW)`` block. A backend with a
native windowed view (numpy's ``sliding_window_view``) overrides them.
"""
from __future__ import annotations

from typing import Any


def conv_outsize(size: int, kernel: int, stride: int, pad: int) -> int:
    """Windows along one axis: ``(size + 2*pad - kernel) // stride + 1`` (Chainer, cover_all=False)."""
    return (size + 2 * pad - kernel) // stride + 1


def pad_image(xp: Any, x: Any, ph: int, pw: int, value: float = 0.0) -> Any:
    """``x`` (N, C, H, W) with ``ph`` rows and ``pw`` columns of ``value`` on each side."""
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    padded = xp.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype, device=x.device)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def im2col(xp: Any, x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
           pad_value: float = 0.0) -> Any:
    """The windows of ``x`` (N, C, H, W) as an array (N, C, KH, KW, OH, OW).

    ``col[n, c, i, j, y, x]`` is the padded image at row ``y*sy + i``, column ``x*sx + j``.
    """
    n, c, h, w = x.shape
    oh, ow = conv_outsize(h, kh, sy, ph), conv_outsize(w, kw, sx, pw)
    padded = pad_image(xp, x, ph, pw, pad_value)
    offsets = [padded[:, :, i:i + sy * (oh - 1) + 1:sy, j:j + sx * (ow - 1) + 1:sx]
               for i in range(kh) for j in range(kw)]
    return xp.reshape(xp.stack(offsets, axis=2), (n, c, kh, kw, oh, ow))


def col2im(xp: Any, col: Any, img_shape: tuple[int, ...], kh: int, kw: int, sy: int, sx: int,
           ph: int, pw: int) -> Any:
    """The adjoint of :func:`im2col`: every window element of ``col`` added back at its pixel.

    ``col`` is (N, C, KH, KW, OH, OW); the result has ``img_shape`` (N, C, H, W). Pixels covered by
    several windows (stride < kernel) receive the sum.
    """
    n, c, h, w = img_shape
    oh, ow = col.shape[4], col.shape[5]
    img = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype, device=col.device)
    for i in range(kh):
        rows = slice(i, i + sy * (oh - 1) + 1, sy)
        for j in range(kw):
            cols = slice(j, j + sx * (ow - 1) + 1, sx)
            img[:, :, rows, cols] = img[:, :, rows, cols] + col[:, :, i, j, :, :]
    return img[:, :, ph:ph + h, pw:pw + w]
