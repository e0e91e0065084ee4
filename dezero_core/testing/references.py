"""Independent numpy references for the built-in functions, written apart from their implementation.

``REFERENCES[name](np, *args, **kwargs)`` takes host (numpy) arrays and returns the expected output
(an array or a tuple of arrays). For a function without an entry here, the suite compares a
non-numpy backend against the numpy backend's result instead.
"""
from __future__ import annotations

from typing import Any, Callable

from dezero_core.testing import references_nn


def sum_to(np: Any, x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` summed over the axes that broadcasting ``shape`` to ``x.shape`` added or stretched."""
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and x.shape[i] != 1:
            x = x.sum(axis=i, keepdims=True)
    return x


def im2col(np: Any, x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
           pad_value: float = 0.0) -> Any:
    """The (N, C, KH, KW, OH, OW) windows of ``x`` (N, C, H, W), one output pixel at a time."""
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), pad_value, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    oh, ow = (h + 2 * ph - kh) // sy + 1, (w + 2 * pw - kw) // sx + 1
    col = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for y in range(oh):
        for z in range(ow):
            col[:, :, :, :, y, z] = padded[:, :, y * sy:y * sy + kh, z * sx:z * sx + kw]
    return col


def col2im(np: Any, col: Any, img_shape: tuple[int, ...], kh: int, kw: int, sy: int, sx: int,
           ph: int, pw: int) -> Any:
    """Each window of ``col`` added back onto its pixels of an (N, C, H, W) image, then unpadded."""
    n, c, h, w = img_shape
    oh, ow = col.shape[4], col.shape[5]
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for y in range(oh):
        for z in range(ow):
            img[:, :, y * sy:y * sy + kh, z * sx:z * sx + kw] += col[:, :, :, :, y, z]
    return img[:, :, ph:ph + h, pw:pw + w]


def erf(np: Any, x: Any) -> Any:
    """The error function through the C library's ``math.erf``, element by element."""
    import math

    return np.vectorize(math.erf, otypes=[np.float64])(x)


def softmax_cross_entropy(np: Any, x: Any, t: Any, ignore_index: Any = None, label_smoothing: float = 0.0) -> Any:
    """Mean of ``-sum(q * log softmax(x))`` over kept samples, ``q`` the smoothed one-hot target."""
    n_classes = x.shape[1]
    scores = np.moveaxis(x, 1, -1).reshape(-1, n_classes)
    labels = t.reshape(-1)
    kept = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, bool)
    log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    q = np.full(scores.shape, label_smoothing / n_classes)
    q[np.arange(len(labels)), np.where(kept, labels, 0)] += 1.0 - label_smoothing
    losses = -(q * log_p).sum(axis=1)
    return losses[kept].sum() / max(kept.sum(), 1)


def flatten(np: Any, x: Any, start_axis: int = 1, end_axis: int = -1) -> Any:
    """``x`` with the axes start..end (inclusive) merged."""
    start, end = start_axis % x.ndim, end_axis % x.ndim
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])


def accuracy(np: Any, y: Any, t: Any, ignore_index: Any = None) -> Any:
    """The fraction of kept samples whose argmax is the label."""
    kept = t != ignore_index if ignore_index is not None else np.ones(t.shape, bool)
    return np.asarray(np.mean((y.argmax(axis=1) == t)[kept]) if kept.any() else 0.0)


def matmul(np: Any, a: Any, b: Any) -> Any:
    """``a @ b`` as a sum of products; a 1-D ``a`` is a row, a 1-D ``b`` a column, dropped afterwards."""
    y = np.einsum("...ij,...jk->...ik", a[None, :] if a.ndim == 1 else a, b[:, None] if b.ndim == 1 else b)
    if b.ndim == 1:
        y = y[..., 0]
    if a.ndim == 1:
        y = y[..., 0] if b.ndim == 1 else y[..., 0, :]
    return y


def _binary_cross_entropy(np: Any, p: Any, t: Any) -> Any:
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))


REFERENCES: dict[str, Callable[..., Any]] = {
    "add": lambda np, a, b: np.add(a, b),
    "sub": lambda np, a, b: np.subtract(a, b),
    "mul": lambda np, a, b: np.multiply(a, b),
    "div": lambda np, a, b: np.divide(a, b),
    "neg": lambda np, x: np.negative(x),
    "power": lambda np, a, b: np.power(a, b),
    "add_scalar": lambda np, x, c: x + c,
    "mul_scalar": lambda np, x, c: x * c,
    "div_scalar": lambda np, x, c: x / c,
    "rsub_scalar": lambda np, x, c: c - x,
    "rdiv_scalar": lambda np, x, c: c / x,
    "pow": lambda np, x, c: x ** c,
    "rpow_scalar": lambda np, x, c: np.exp(x * np.log(c)),
    "sin": lambda np, x: np.sin(x),
    "cos": lambda np, x: np.cos(x),
    "tanh": lambda np, x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
    "exp": lambda np, x: np.exp(x),
    "log": lambda np, x: np.log(x),
    "matmul": matmul,
    "sum": lambda np, x, axis=None, keepdims=False: np.add.reduce(
        x, axis=tuple(range(x.ndim)) if axis is None else axis, keepdims=keepdims),
    "reshape": lambda np, x, shape: np.reshape(x, shape),
    "transpose": lambda np, x, axes=None: np.transpose(x, axes),
    "permute_dims": lambda np, x, axes: np.transpose(x, axes),
    "matrix_transpose": lambda np, x: np.swapaxes(x, -1, -2),
    "broadcast_to": lambda np, x, shape: np.broadcast_to(x, shape),
    "sum_to": sum_to,
    "get_item": lambda np, x, key: x[key],
    "sqrt": lambda np, x: np.power(x, 0.5),
    "abs": lambda np, x: np.where(x < 0, -x, x),
    "erf": erf,
    "maximum": lambda np, a, b: np.where(a >= b, a, b),
    "minimum": lambda np, a, b: np.where(a <= b, a, b),
    "clip": lambda np, x, lo=None, hi=None: np.minimum(np.maximum(x, -np.inf if lo is None else lo),
                                                       np.inf if hi is None else hi),
    "where": lambda np, c, a, b: np.where(c, a, b),
    "sigmoid": lambda np, x: 1 / (1 + np.exp(-x)),
    "relu": lambda np, x: x * (x > 0),
    "leaky_relu": lambda np, x, slope=0.2: np.where(x > 0, x, slope * x),
    "softmax": lambda np, x, axis=1: np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True),
    "log_softmax": lambda np, x, axis=1: x - np.log(np.exp(x).sum(axis=axis, keepdims=True)),
    "gelu": lambda np, x, approximate="none": 0.5 * x * (1 + (
        erf(np, x / np.sqrt(2)) if approximate == "none"
        else np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    "silu": lambda np, x: x / (1 + np.exp(-x)),
    "softplus": lambda np, x, beta=1.0: np.log(1 + np.exp(beta * x)) / beta,
    "elu": lambda np, x, alpha=1.0: np.where(x > 0, x, alpha * (np.exp(x) - 1)),
    "mean": lambda np, x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
    "average": lambda np, x, axis=None, keepdims=False: np.average(x, axis=axis, keepdims=keepdims),
    "max": lambda np, x, axis=None, keepdims=False: np.amax(x, axis=axis, keepdims=keepdims),
    "min": lambda np, x, axis=None, keepdims=False: np.amin(x, axis=axis, keepdims=keepdims),
    "var": lambda np, x, axis=None, keepdims=False, correction=0: np.var(x, axis=axis, ddof=correction,
                                                                        keepdims=keepdims),
    "std": lambda np, x, axis=None, keepdims=False, correction=0: np.std(x, axis=axis, ddof=correction,
                                                                        keepdims=keepdims),
    "logsumexp": lambda np, x, axis=None, keepdims=False: np.log(np.exp(x).sum(axis=axis, keepdims=keepdims)),
    "argmax": lambda np, x, axis=None, keepdims=False: np.argmax(x, axis=axis, keepdims=keepdims),
    "argmin": lambda np, x, axis=None, keepdims=False: np.argmin(x, axis=axis, keepdims=keepdims),
    "one_hot": lambda np, t, num_classes=None, dtype="float32": np.eye(
        t.max() + 1 if num_classes is None else num_classes, dtype=dtype)[t],
    "equal": lambda np, a, b: a == b,
    "not_equal": lambda np, a, b: a != b,
    "less": lambda np, a, b: a < b,
    "less_equal": lambda np, a, b: a <= b,
    "greater": lambda np, a, b: a > b,
    "greater_equal": lambda np, a, b: a >= b,
    "expand_dims": lambda np, x, axis=0: np.expand_dims(x, axis),
    "unsqueeze": lambda np, x, axis: np.expand_dims(x, axis),
    "squeeze": lambda np, x, axis=None: np.squeeze(x, axis),
    "flatten": flatten,
    "concat": lambda np, arrays, axis=0: np.concatenate(list(arrays), axis=axis),
    "stack": lambda np, arrays, axis=0: np.stack(list(arrays), axis=axis),
    "split": lambda np, x, sections, axis=0: tuple(np.split(x, sections, axis=axis)),
    "pad": lambda np, x, pad_width, value=0.0: np.pad(x, pad_width, constant_values=value),
    "mean_squared_error": lambda np, a, b: np.mean((a - b) ** 2),
    "softmax_cross_entropy": softmax_cross_entropy,
    "cross_entropy": softmax_cross_entropy,
    "sigmoid_cross_entropy": lambda np, x, t: _binary_cross_entropy(np, 1 / (1 + np.exp(-x)), t),
    "binary_cross_entropy": _binary_cross_entropy,
    "accuracy": accuracy,
    **references_nn.REFERENCES,  # linear, convolutions, pooling, normalization, embed_id
}
