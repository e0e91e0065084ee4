"""numpy's native im2col/col2im: the windows as a strided view, never a loop over pixels.

``im2col`` returns a read-only view of the (padded) image whose strides step through the windows:
no element is copied until the matrix product that consumes it (``tensordot`` copies it once into
the layout BLAS wants). ``col2im`` writes through the same kind of view: in one assignment when the
windows do not overlap (pooling with stride = kernel), else one in-place slice-add per kernel offset.
"""
from __future__ import annotations

from typing import Any

from numpy.lib.stride_tricks import as_strided


def _window_view(np: Any, img: Any, kh: int, kw: int, sy: int, sx: int, oh: int, ow: int,
                 writeable: bool) -> Any:
    """``img`` (N, C, Hp, Wp) seen as (N, C, KH, KW, OH, OW): element (i, j, y, x) at (y*sy + i, x*sx + j)."""
    sn, sc, sh, sw = img.strides
    return as_strided(img, (img.shape[0], img.shape[1], kh, kw, oh, ow),
                      (sn, sc, sh, sw, sh * sy, sw * sx), writeable=writeable)


def im2col(np: Any, x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
           pad_value: float = 0.0) -> Any:
    """The windows of ``x`` (N, C, H, W) as a read-only strided view (N, C, KH, KW, OH, OW)."""
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    oh = (x.shape[2] - kh) // sy + 1
    ow = (x.shape[3] - kw) // sx + 1
    return _window_view(np, x, kh, kw, sy, sx, oh, ow, writeable=False)


def col2im(np: Any, col: Any, img_shape: tuple[int, ...], kh: int, kw: int, sy: int, sx: int,
           ph: int, pw: int) -> Any:
    """``col`` (N, C, KH, KW, OH, OW) summed back into an image of ``img_shape`` (N, C, H, W)."""
    n, c, h, w = img_shape
    oh, ow = col.shape[4], col.shape[5]
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    if sy >= kh and sx >= kw:
        # no pixel lies in two windows: a plain assignment through the window view is the sum
        _window_view(np, img, kh, kw, sy, sx, oh, ow, writeable=True)[...] = col
    else:
        for i in range(kh):
            rows = slice(i, i + sy * (oh - 1) + 1, sy)
            for j in range(kw):
                img[:, :, rows, j:j + sx * (ow - 1) + 1:sx] += col[:, :, i, j]
    return img[:, :, ph:ph + h, pw:pw + w] if ph or pw else img
