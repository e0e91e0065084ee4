"""im2col/col2im as CUDA elementwise kernels, in the protocol's ``(N, C, KH, KW, OH, OW)`` layout.

One GPU thread per output element, as in Chainer's kernels: im2col gathers one patch value
(``pad_value`` in the padding), col2im sums, for one image pixel, every patch value that was read
from it (a gather, so no atomics). Index arithmetic runs in the type ``I``: int32 whenever every index fits, because a
32-bit division costs a fraction of a 64-bit one on a GPU, and int64 otherwise.

Importing this module imports cupy: the backend imports it only after cupy was found usable.
"""
from __future__ import annotations

from typing import Any, Sequence

import cupy

_IM2COL = cupy.ElementwiseKernel(
    "raw T img, T pad_value, I h, I w, I out_h, I out_w, I kh, I kw, I sy, I sx, I ph, I pw",
    "T col",
    """
    const I k = (I)i;
    const I ox = k % out_w;
    const I oy = k / out_w % out_h;
    const I kx = k / (out_w * out_h) % kw;
    const I ky = k / (out_w * out_h * kw) % kh;
    const I nc = k / (out_w * out_h * kw * kh);  // image and channel, flattened
    const I y = oy * sy + ky - ph;
    const I x = ox * sx + kx - pw;
    col = (0 <= y && y < h && 0 <= x && x < w) ? img[(nc * h + y) * w + x] : pad_value;
    """,
    "dezero_im2col",
)

_COL2IM = cupy.ElementwiseKernel(
    "raw T col, I h, I w, I out_h, I out_w, I kh, I kw, I sy, I sx, I ph, I pw",
    "T img",
    """
    const I k = (I)i;
    const I x = k % w;
    const I y = k / w % h;
    const I nc = k / (w * h);
    T total = (T)0;
    for (I ky = 0; ky < kh; ++ky) {
        const I ty = y + ph - ky;  // = oy * sy for the output row that read (y, x) at offset ky
        if (ty < 0 || ty % sy != 0 || ty / sy >= out_h) continue;
        const I oy = ty / sy;
        for (I kx = 0; kx < kw; ++kx) {
            const I tx = x + pw - kx;
            if (tx < 0 || tx % sx != 0 || tx / sx >= out_w) continue;
            // not +=: Chainer's float16-tested kernel uses this form
            total = total + col[(((nc * kh + ky) * kw + kx) * out_h + oy) * out_w + tx / sx];
        }
    }
    img = total;
    """,
    "dezero_col2im",
)


def _index_type(*sizes: int) -> Any:
    return cupy.int32 if max(sizes) < 2**31 else cupy.int64


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
