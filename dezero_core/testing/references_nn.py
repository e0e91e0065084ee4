"""Independent numpy references for the layer functions: linear, convolutions, pooling, normalization,
embed_id. Written from the definitions, one output pixel at a time, sharing nothing with the
implementations (no im2col, no col2im, no strided views).
"""
from __future__ import annotations

from typing import Any, Callable


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _padded(np: Any, x: Any, pad: Any, value: float = 0.0) -> Any:
    ph, pw = _pair(pad)
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _outsize(size: int, k: int, s: int) -> int:
    return (size - k) // s + 1


def conv2d(np: Any, x: Any, W: Any, b: Any = None, stride: Any = 1, pad: Any = 0) -> Any:
    """``y[n, o, i, j] = sum_{c, u, v} W[o, c, u, v] * xpad[n, c, i*sy + u, j*sx + v] + b[o]``."""
    sy, sx = _pair(stride)
    xp_ = _padded(np, x, pad)
    kh, kw = W.shape[2:]
    oh, ow = _outsize(xp_.shape[2], kh, sy), _outsize(xp_.shape[3], kw, sx)
    y = np.zeros((x.shape[0], W.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp_[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw]
            y[:, :, i, j] = np.einsum("ncuv,ocuv->no", patch, W)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def deconv2d(np: Any, x: Any, W: Any, b: Any = None, stride: Any = 1, pad: Any = 0, outsize: Any = None) -> Any:
    """Every input pixel spreads ``x[n, c, h, w] * W[c, o]`` onto a KH x KW patch of the padded output."""
    (sy, sx), (ph, pw) = _pair(stride), _pair(pad)
    n, _, h, w = x.shape
    kh, kw = W.shape[2:]
    oh, ow = _pair(outsize) if outsize is not None else (sy * (h - 1) + kh - 2 * ph, sx * (w - 1) + kw - 2 * pw)
    canvas = np.zeros((n, W.shape[1], oh + 2 * ph, ow + 2 * pw))
    for i in range(h):
        for j in range(w):
            canvas[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw] += np.einsum("nc,couv->nouv", x[:, :, i, j], W)
    y = canvas[:, :, ph:ph + oh, pw:pw + ow]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _windows(np: Any, x: Any, kernel_size: Any, stride: Any, pad: Any, value: float = 0.0) -> Any:
    """(N, OH, OW, C, KH, KW): window (i, j) of every image, read one by one."""
    (kh, kw), (sy, sx) = _pair(kernel_size), _pair(stride)
    xp_ = _padded(np, x, pad, value)
    oh, ow = _outsize(xp_.shape[2], kh, sy), _outsize(xp_.shape[3], kw, sx)
    out = np.empty((x.shape[0], oh, ow, x.shape[1], kh, kw))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = xp_[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw]
    return out


def im2col(np: Any, x: Any, kernel_size: Any, stride: Any = 1, pad: Any = 0, to_matrix: bool = True) -> Any:
    """The book's layout: rows (n, i, j), columns (c, u, v); else (N, C, KH, KW, OH, OW)."""
    win = _windows(np, x, kernel_size, stride, pad)
    n, oh, ow, c, kh, kw = win.shape
    return win.reshape(n * oh * ow, c * kh * kw) if to_matrix else win.transpose(0, 3, 4, 5, 1, 2)


def col2im(np: Any, col: Any, input_shape: Any, kernel_size: Any, stride: Any = 1, pad: Any = 0,
           to_matrix: bool = True) -> Any:
    """Each window's values added onto its pixels of the padded image, which is then cropped."""
    (kh, kw), (sy, sx), (ph, pw) = _pair(kernel_size), _pair(stride), _pair(pad)
    n, c, h, w = input_shape
    oh, ow = _outsize(h + 2 * ph, kh, sy), _outsize(w + 2 * pw, kw, sx)
    win = col.reshape(n, oh, ow, c, kh, kw) if to_matrix else col.transpose(0, 4, 5, 1, 2, 3)
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i in range(oh):
        for j in range(ow):
            img[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw] += win[:, i, j]
    return img[:, :, ph:ph + h, pw:pw + w]


def pooling(np: Any, x: Any, kernel_size: Any, stride: Any = 1, pad: Any = 0) -> Any:
    """The maximum of every window; the padding is -inf."""
    return _windows(np, x, kernel_size, stride, pad, -np.inf).max(axis=(4, 5)).transpose(0, 3, 1, 2)


def average_pooling(np: Any, x: Any, kernel_size: Any, stride: Any = 1, pad: Any = 0) -> Any:
    """The mean of every window, zero padding included."""
    return _windows(np, x, kernel_size, stride, pad).mean(axis=(4, 5)).transpose(0, 3, 1, 2)


def batch_norm(np: Any, x: Any, gamma: Any, beta: Any, mean: Any, var: Any, decay: float = 0.9,
               eps: float = 2e-5) -> Any:
    """Training mode: each channel normalized with the batch's mean and (biased) variance."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu = x.mean(axis=axes, keepdims=True)
    sigma2 = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return gamma.reshape(shape) * (x - mu) / np.sqrt(sigma2 + eps) + beta.reshape(shape)


def layer_norm(np: Any, x: Any, gamma: Any, beta: Any, eps: float = 1e-5) -> Any:
    """Each row normalized over the last axis."""
    mu = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) + beta


REFERENCES: dict[str, Callable[..., Any]] = {
    "linear": lambda np, x, W, b=None: np.einsum("...i,io->...o", x, W) + (0 if b is None else b),
    "conv2d": conv2d,
    "deconv2d": deconv2d,
    "im2col": im2col,
    "col2im": col2im,
    "pooling": pooling,
    "average_pooling": average_pooling,
    "batch_norm": batch_norm,
    "layer_norm": layer_norm,
    "embed_id": lambda np, x, W: np.take(W, x, axis=0),
}
