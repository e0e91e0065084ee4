"""Array-API-only helpers shared by datasets, transforms and loaders (arrays or plain lists)."""
from __future__ import annotations

from typing import Any

from dezero_core.backend.selection import backend_of, get_backend


def namespace(array: Any) -> Any:
    """The array-API namespace of ``array``: its backend's, else the one the array names."""
    try:
        return backend_of(array).xp
    except TypeError:  # an array of a library no installed backend wraps
        return array.__array_namespace__()


def is_array(obj: Any) -> bool:
    """Whether ``obj`` is an array: of some array-API library, or of an installed backend.

    An array library need not name its namespace (cupy 14's arrays have no
    ``__array_namespace__``): an object with a shape and a dtype is asked of the backends.
    """
    if hasattr(obj, "__array_namespace__"):
        return True
    if type(obj) in _NOT_ARRAYS or not (hasattr(obj, "shape") and hasattr(obj, "dtype")):
        return False
    try:
        backend_of(obj)
    except TypeError:
        _NOT_ARRAYS.add(type(obj))  # asked once: probing every backend per sample would be slow
        return False
    return True


#: types with a shape and a dtype that no installed backend owns (another library's tensors)
_NOT_ARRAYS: set[type] = set()


def length(seq: Any) -> int:
    """The number of samples in ``seq``: its first axis (array-API arrays need not define ``len``)."""
    shape = getattr(seq, "shape", None)
    return int(shape[0]) if shape is not None else len(seq)


def row(seq: Any, i: int) -> Any:
    """Sample ``i`` of ``seq`` (the standard wants the trailing ``...`` on arrays of several axes)."""
    return seq[i, ...] if is_array(seq) else seq[i]


def take(seq: Any, index: Any) -> Any:
    """The samples of ``seq`` at the integer positions ``index`` (an array or a list of ints)."""
    if is_array(seq):
        xp = namespace(seq)
        return xp.take(seq, xp.asarray(index), axis=0)
    if is_array(index):
        index = index.tolist()
    return [seq[i] for i in index]


def stack(items: list[Any], like: Any = None) -> Any:
    """Stack per-sample results into one batch array.

    Arrays are stacked in their own namespace; Python scalars (labels a per-sample transform turned
    into ``int``) go into an array of ``like``'s namespace, or of the current backend.
    """
    if items and is_array(items[0]):
        return namespace(items[0]).stack(items)
    if is_array(like):
        return namespace(like).asarray(items)
    return get_backend().asarray(items)
