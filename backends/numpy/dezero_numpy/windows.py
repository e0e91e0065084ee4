"""numpy's native im2col/col2im: the windows as a strided view, never a loop over pixels.

``im2col`` returns a read-only view of the (padded) image whose strides step through the windows:
no element is copied until the matrix product that consumes it (``tensordot`` copies it once into
the layout BLAS wants). ``col2im`` adds one strided slice per kernel offset: KH*KW steps, never
one per pixel.
"""
from __future__ import annotations

from typing import Any

from numpy.lib.stride_tricks import as_strided


def _window_view(img: Any, kh: int, kw: int, sy: int, sx: int, oh: int, ow: int) -> Any:
    """``img`` (N, C, Hp, Wp) seen as (N, C, KH, KW, OH, OW): element (i, j, y, x) at (y*sy + i, x*sx + j)."""
    sn, sc, sh, sw = img.strides
    return as_strided(img, (img.shape[0], img.shape[1], kh, kw, oh, ow),
                      (sn, sc, sh, sw, sh * sy, sw * sx), writeable=False)


def im2col(np: Any, x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
           pad_value: float = 0.0) -> Any:
    """The windows of ``x`` (N, C, H, W) as a read-only strided view (N, C, KH, KW, OH, OW)."""
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    oh = (x.shape[2] - kh) // sy + 1
    ow = (x.shape[3] - kw) // sx + 1
    return _window_view(x, kh, kw, sy, sx, oh, ow)


def col2im(np: Any, col: Any, img_shape: tuple[int, ...], kh: int, kw: int, sy: int, sx: int,
           ph: int, pw: int) -> Any:
    """``col`` (N, C, KH, KW, OH, OW) summed back into an image of ``img_shape`` (N, C, H, W).

    One strided slice per kernel offset (a single 6-D assignment through a window view is several
    times slower: numpy walks it with short inner loops). Windows that do not overlap (pooling
    with stride = kernel) are assigned rather than added, into uninitialized memory when they tile
    the padded image exactly.
    """
    n, c, h, w = img_shape
    oh, ow = col.shape[4], col.shape[5]
    hp, wp = h + 2 * ph, w + 2 * pw
    disjoint = sy >= kh and sx >= kw
    tiled = sy == kh and sx == kw and oh * sy == hp and ow * sx == wp
    allocate = np.empty if tiled else np.zeros
    if col.strides[1] > col.strides[0]:
        # col holds channels before samples (conv2d's products do): so does the image, which makes
        # every slice below a copy in memory order, and the gradient's next user gets that order
        img = allocate((c, n, hp, wp), dtype=col.dtype).transpose(1, 0, 2, 3)
    else:
        img = allocate((n, c, hp, wp), dtype=col.dtype)
    for i in range(kh):
        rows = slice(i, i + sy * (oh - 1) + 1, sy)
        for j in range(kw):
            cols = slice(j, j + sx * (ow - 1) + 1, sx)
            if disjoint:
                img[:, :, rows, cols] = col[:, :, i, j]
            else:
                img[:, :, rows, cols] += col[:, :, i, j]
    return img[:, :, ph:ph + h, pw:pw + w] if ph or pw else img
