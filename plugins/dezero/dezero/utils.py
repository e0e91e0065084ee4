"""The book's ``dezero.utils``: graph drawing, array helpers, gradient checking, downloads.

``get_dot_graph`` (dezero_core's) always returns DOT text; ``plot_dot_graph`` renders it with
Graphviz's ``dot`` and, where ``dot`` is missing or fails, warns with how to install it and carries
on, as the book's does (its scripts go on to train after drawing); dezero_core's raises instead.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from dezero_core.backend.selection import backend_of
from dezero_core.config import no_grad
from dezero_core.functions import logsumexp as _logsumexp
from dezero_core.functions.conv_utils import get_conv_outsize, get_deconv_outsize, pair
from dezero_core.functions.reductions import restore_reduced
from dezero_core.graph.variable import Variable
from dezero_core.graphviz import get_dot_graph
from dezero_core.graphviz import plot_dot_graph as _plot_dot_graph
from dezero_core.download import RemoteFile, fetch_and_read
from dezero_core.models.pretrained import data_home, fetch_weights

from dezero import cuda
from dezero.core import as_variable

__all__ = [
    "array_allclose", "array_equal", "cache_dir", "get_conv_outsize", "get_deconv_outsize",
    "get_dot_graph", "get_file", "gradient_check", "logsumexp", "max_backward_shape",
    "numerical_grad", "pair", "plot_dot_graph", "reshape_sum_backward", "show_progress", "sum_to",
]

#: where :func:`get_file` keeps downloads: dezero_core's cache (``$DEZERO_DATA_HOME``, default
#: ``~/.cache/dezero``), shared with the datasets and pretrained weights
cache_dir = str(data_home())


# -- array helpers ---------------------------------------------------------------------------------
def sum_to(x: Any, shape: Sequence[int]) -> Any:
    """Sum the array ``x`` over broadcast axes so that its shape becomes ``shape``."""
    return backend_of(x).sum_to(x, shape)


def logsumexp(x: Any, axis: int = 1) -> Any:
    """``log(sum(exp(x), axis))`` of the array ``x``, computed stably, with the axis kept (size 1)."""
    with no_grad():
        return _logsumexp(x, axis=axis, keepdims=True).data


def reshape_sum_backward(gy: Any, x_shape: Sequence[int], axis: Any, keepdims: bool) -> Variable:
    """The gradient ``gy`` of ``sum(x, axis, keepdims)`` reshaped to broadcast against ``x_shape``."""
    gy = as_variable(gy)
    return restore_reduced(_Reshaper, gy, tuple(x_shape), axis, keepdims)


class _Reshaper:
    """The one ``xp`` name :func:`restore_reduced` calls, on Variables."""

    @staticmethod
    def reshape(x: Variable, shape: tuple[int, ...]) -> Variable:
        return x.reshape(shape)


def max_backward_shape(x: Any, axis: Any) -> list[int]:
    """The shape of ``max(x, axis)`` with the reduced axes kept as 1 (to broadcast against ``x``)."""
    if axis is None:
        axis = range(x.ndim)
    elif isinstance(axis, int):
        axis = (axis,)
    axes = {a % x.ndim for a in axis}
    return [1 if i in axes else s for i, s in enumerate(x.shape)]


def array_equal(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` (arrays of any backend, or Variables) have the same shape and values."""
    return bool(np.array_equal(cuda.as_numpy(a), cuda.as_numpy(b)))


def array_allclose(a: Any, b: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether ``a`` and ``b`` (arrays of any backend, or Variables) have close values."""
    return bool(np.allclose(cuda.as_numpy(a), cuda.as_numpy(b), rtol=rtol, atol=atol))


# -- gradient checking -----------------------------------------------------------------------------
def numerical_grad(f: Callable[..., Any], x: Any, *args: Any, **kwargs: Any) -> np.ndarray:
    """The gradient of ``sum(f(x, *args, **kwargs))`` w.r.t. ``x`` by central differences (h = 1e-4).

    ``x`` is an array or a Variable; its values are changed one at a time and restored. Computed on
    host (numpy) arrays, as the book does.
    """
    eps = 1e-4
    x = cuda.as_numpy(x)  # (the array inside a Variable: its values move while probing)
    args = [cuda.as_numpy(a) if _is_array(a) else a for a in args]
    kwargs = {k: cuda.as_numpy(v) if _is_array(v) else v for k, v in kwargs.items()}
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        original = x[idx].copy()
        x[idx] = original + eps
        plus = _output_sum(f(x, *args, **kwargs))
        x[idx] = original - eps
        minus = _output_sum(f(x, *args, **kwargs))
        x[idx] = original
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def _is_array(a: Any) -> bool:
    if isinstance(a, Variable):
        return True
    try:
        backend_of(a)
    except TypeError:
        return False
    return True


def _output_sum(y: Any) -> float:
    return float(np.sum(cuda.as_numpy(y), dtype=np.float64))


def gradient_check(f: Callable[..., Any], x: Any, *args: Any, rtol: float = 1e-4, atol: float = 1e-5,
                   **kwargs: Any) -> bool:
    """Whether backprop's gradient of ``sum(f(x, ...))`` w.r.t. ``x`` matches :func:`numerical_grad`.

    ``x`` is computed in float64, as in the book. On a mismatch both gradients are printed.
    """
    x = as_variable(x)
    x.data = x.data.astype(np.float64)
    num_grad = numerical_grad(f, x, *args, **kwargs)
    y = f(x, *args, **kwargs)
    y.backward()
    bp_grad = cuda.as_numpy(x.grad.data)
    if bp_grad.shape != num_grad.shape:
        raise ValueError(f"gradient_check: backprop gives a gradient of shape {bp_grad.shape} for x of shape "
                         f"{num_grad.shape}")
    ok = array_allclose(num_grad, bp_grad, rtol=rtol, atol=atol)
    if not ok:
        print("\n========== FAILED (Gradient Check) ==========")
        print(f"Numerical Grad\n shape: {num_grad.shape}\n values: {str(num_grad.flatten()[:10])[1:-1]} ...")
        print(f"Backprop Grad\n shape: {bp_grad.shape}\n values: {str(bp_grad.flatten()[:10])[1:-1]} ...")
    return ok


# -- downloads -------------------------------------------------------------------------------------
def show_progress(block_num: int, block_size: int, total_size: int) -> None:
    """Print a 30-character download bar and the percentage done (a ``urlretrieve`` report hook),
    overwriting the line: ``[#########.....................] 30.00%``."""
    done = min(block_num * block_size / total_size, 1.0) if total_size > 0 else 1.0
    filled = int(done * 30)
    print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done * 100:.2f}%", end="")


def get_file(url: str, file_name: str | None = None, sha256: str | None = None, *,
             validate: Callable[[str], object] | None = None) -> str:
    """The path of a local copy of ``url`` in :data:`cache_dir`, downloaded the first time.

    The download is written atomically (a failed one leaves nothing behind). Give ``sha256`` to
    have the file verified; the book's files have none, so by default any content is accepted.
    ``validate(path)`` (raising ValueError, SyntaxError or EOFError for a bad file) checks a file
    that has no digest: a cached copy it refuses is moved aside, named in a warning and downloaded again.
    """
    if file_name is None:
        file_name = url[url.rfind("/") + 1:]
    with warnings.catch_warnings():
        # the unpinned checksum is the book's usual case: not worth a warning
        warnings.filterwarnings("ignore", ".*has no pinned SHA-256", RuntimeWarning)
        if validate is None:
            path = fetch_weights(url, sha256, filename=file_name, subdir=cache_dir)  # (an absolute subdir wins)
        else:
            path = fetch_and_read(RemoteFile(file_name, sha256, (url,)), cache_dir, lambda p: (validate(os.fspath(p)), p)[1])
    return os.fspath(path)


# -- graphs ----------------------------------------------------------------------------------------
def plot_dot_graph(output: Variable, verbose: bool = True, to_file: str = "graph.png") -> str | None:
    """Draw the graph behind ``output`` into ``to_file`` with Graphviz's ``dot``; returns the path.

    As in the book, a drawing that fails (``dot`` not installed, or failing) does not stop the
    program: it is reported as a warning that says how to install Graphviz, and None is returned.
    (dezero_core's ``plot_dot_graph`` raises instead.)
    """
    try:
        return _plot_dot_graph(output, verbose, to_file)
    except RuntimeError as exc:
        warnings.warn(f"plot_dot_graph: the graph was not drawn: {exc}", RuntimeWarning, stacklevel=2)
        return None
