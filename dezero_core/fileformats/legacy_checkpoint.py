"""Reading checkpoints of format 1 (``DEZERO-CHECKPOINT 1``: a pickle), without letting numpy unpickle.

Those files pickled the state with numpy's own reducers. Unpickling them with numpy is unsafe even
when only numpy's dtype and array reconstructors are allowed: a pickled record dtype with an object
field and its flags cleared makes bytes of the file act as object pointers (a crash, or worse). Here
the unpickler hands those reducers to inert stand-ins that only record their arguments; numpy never
sees the file. The stand-ins are then checked (a plain numeric or boolean dtype, no fields, no
sub-arrays, sizes that match) and turned into :class:`ArrayBytes`.
"""
from __future__ import annotations

import io
import pickle
import struct
from typing import Any, NamedTuple

from dezero_core.backend.host_io import ArrayBytes, check_size, host_dtype
from dezero_core.fileformats import FileFormatError
from dezero_core.fileformats.npz import _CODES

MAGIC = b"DEZERO-CHECKPOINT 1\n"


class _DType:
    """``numpy.dtype(spec, align, copy)`` followed by ``__setstate__``: recorded, never built."""

    def __init__(self, spec: Any = None, align: Any = False, copy: Any = True) -> None:
        self.spec, self.state = spec, None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def name(self) -> str:
        """The dtype's name, after checking it is plain numeric or boolean and little-endian."""
        state = self.state if isinstance(self.state, tuple) else ()
        # numpy's state: (version, byteorder, subarray, names, fields, elsize, alignment, flags)
        plain = (isinstance(self.spec, str) and self.spec in _CODES and len(state) == 8
                 and state[2] is None and state[3] is None and state[4] is None)
        if not plain:
            raise FileFormatError(f"holds an array of dtype {self.spec!r} with fields or sub-arrays; only "
                                  f"plain numeric and boolean dtypes are read (the file may be forged)")
        if state[1] == ">" and self.spec not in ("b1", "u1", "i1"):
            raise FileFormatError(f"holds a big-endian array ({self.spec!r}), which is not read")
        return _CODES[self.spec]


class _Array:
    """An ndarray from ``_frombuffer(buffer, dtype, shape, order)`` or ``_reconstruct`` + ``__setstate__``."""

    def __init__(self, data: Any = None, dtype: Any = None, shape: Any = (), order: Any = "C") -> None:
        self.data, self.dtype, self.shape, self.fortran = data, dtype, shape, order == "F"

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise FileFormatError("holds a damaged array")
        _, self.shape, self.dtype, self.fortran, self.data = state

    def decode(self) -> DecodedArray:
        """The array's bytes after checking dtype, shape and size."""
        if not isinstance(self.dtype, _DType):
            raise FileFormatError("holds an array without a plain dtype")
        name = self.dtype.name()
        shape = self.shape
        if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
            raise FileFormatError(f"holds an array with a damaged shape {shape!r}")
        if not isinstance(self.data, (bytes, bytearray)):
            raise FileFormatError("holds an array whose data are not bytes (an object array?)")
        shape = tuple(reversed(shape)) if self.fortran else shape
        try:
            check_size(name, shape, len(self.data))
        except ValueError as exc:
            raise FileFormatError(f"holds a damaged array: {exc}") from None
        return DecodedArray(ArrayBytes(name, shape, bytes(self.data)), bool(self.fortran))


class DecodedArray(NamedTuple):
    """An array of the file, checked: its bytes and whether they hold it in Fortran order."""

    item: ArrayBytes
    fortran: bool


class _NDArrayClass:
    """Stands for ``numpy.ndarray`` as the first argument of ``_reconstruct``."""


def _reconstruct(cls: Any, shape: Any, typecode: Any) -> _Array:
    if cls is not _NDArrayClass:
        raise FileFormatError("holds an array of a subclass of numpy.ndarray")
    return _Array()


def _scalar(dtype: Any, data: Any) -> Any:
    """A numpy scalar, as the Python number it holds."""
    if not isinstance(dtype, _DType) or not isinstance(data, bytes):
        raise FileFormatError("holds a damaged scalar")
    name = dtype.name()
    kind = host_dtype(name)
    if len(data) != kind.itemsize:
        raise FileFormatError(f"holds a damaged {name} scalar")
    order = ">" if dtype.state and dtype.state[1] == ">" else "<"
    return struct.unpack(order + kind.format, data)[0]


_GLOBALS = {
    ("numpy", "dtype"): _DType, ("numpy", "ndarray"): _NDArrayClass,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct, ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _scalar, ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy.core.numeric", "_frombuffer"): _Array, ("numpy._core.numeric", "_frombuffer"): _Array,
    ("collections", "OrderedDict"): dict,
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _GLOBALS.get((module, name))
        if found is None:
            raise FileFormatError(f"refers to {module}.{name}, which a checkpoint may not contain")
        return found


def read(payload: bytes) -> Any:
    """The state pickled in ``payload``, every array replaced by a :class:`DecodedArray`."""
    try:
        state = _Unpickler(io.BytesIO(payload)).load()
    except FileFormatError:
        raise
    except Exception as exc:  # a damaged pickle fails in many ways; none of them may escape unnamed
        raise FileFormatError(f"cannot be read ({type(exc).__name__}: {exc})") from None
    return _decode(state)


def _decode(value: Any) -> Any:
    if isinstance(value, _Array):
        return value.decode()
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_decode(v) for v in value)
    if isinstance(value, (_DType, _NDArrayClass)) or value is _NDArrayClass:
        raise FileFormatError("holds a bare numpy dtype or class where a value belongs")
    return value
