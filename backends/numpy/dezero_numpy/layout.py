"""Shape, dtype and gather functions called straight on numpy's array methods.

``numpy.reshape``, ``numpy.astype``, ``numpy.matrix_transpose`` and ``numpy.take_along_axis`` wrap
an array method in Python-level dispatch and checks; a training step calls them several times, on
arrays small enough that the wrapper costs more than the work (``take_along_axis`` builds its index
with a Python helper: three times the indexing itself). These take the array API's signatures and
return exactly what numpy's functions return; anything off their common case goes to numpy's own
function, which keeps its errors.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_ndarray = np.ndarray
_arange = np.arange


def reshape(x: Any, /, shape: Any, *, copy: bool | None = None) -> Any:
    """``numpy.reshape``: ``x`` with ``shape`` (a view where possible, unless ``copy``)."""
    if copy is None and type(x) is _ndarray:
        return x.reshape(shape)
    return np.reshape(x, shape, copy=copy)


def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """``numpy.astype``: ``x`` converted to ``dtype`` (a copy unless ``copy=False`` and it matches)."""
    if type(x) is _ndarray and device is None:
        return x.astype(dtype, copy=copy)
    return np.astype(x, dtype, copy=copy, device=device)


def matrix_transpose(x: Any, /) -> Any:
    """``numpy.matrix_transpose``: the last two axes swapped (a view)."""
    if type(x) is _ndarray and x.ndim >= 2:
        return x.mT
    return np.matrix_transpose(x)  # its error for fewer than two dimensions


def take_along_axis(x: Any, indices: Any, /, axis: int = -1) -> Any:
    """``numpy.take_along_axis``: ``x``'s elements at ``indices`` along ``axis``.

    The common case, a (rows, columns) array picked along its columns (a loss picking each sample's
    label), indexes directly with numpy's own index.
    """
    if (axis in (1, -1) and type(x) is _ndarray and type(indices) is _ndarray and x.ndim == 2
            and indices.ndim == 2 and indices.dtype.kind in "iu"):
        return x[_arange(x.shape[0])[:, None], indices]
    return np.take_along_axis(x, indices, axis=axis)


FUNCTIONS = {"reshape": reshape, "astype": astype, "matrix_transpose": matrix_transpose,
             "take_along_axis": take_along_axis}
