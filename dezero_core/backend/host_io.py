"""Arrays as bytes: the element types files may hold, and the portable conversions of the protocol.

Every file format of the project (safetensors, and the npz files of earlier versions) stores an
array as a dtype name, a shape and its elements as little-endian bytes in C order. Only plain
numeric and boolean dtypes exist here: a file cannot describe objects, pointers or records, so no
bytes of a file are ever interpreted as anything but numbers.
"""
from __future__ import annotations

import math
import struct
import sys
from typing import Any, NamedTuple, Sequence


class HostDType(NamedTuple):
    """A dtype that files may hold: its name, struct format character, size and safetensors code."""

    name: str
    format: str
    itemsize: int
    safetensors: str


#: name -> the dtype's description; nothing else is written or read
DTYPES: dict[str, HostDType] = {d.name: d for d in (
    HostDType("bool", "?", 1, "BOOL"),
    HostDType("uint8", "B", 1, "U8"), HostDType("int8", "b", 1, "I8"),
    HostDType("uint16", "H", 2, "U16"), HostDType("int16", "h", 2, "I16"),
    HostDType("uint32", "I", 4, "U32"), HostDType("int32", "i", 4, "I32"),
    HostDType("uint64", "Q", 8, "U64"), HostDType("int64", "q", 8, "I64"),
    HostDType("float16", "e", 2, "F16"), HostDType("float32", "f", 4, "F32"), HostDType("float64", "d", 8, "F64"),
)}


class ArrayBytes(NamedTuple):
    """An array in a file's terms: dtype name (a key of :data:`DTYPES`), shape, little-endian C-order bytes."""

    dtype: str
    shape: tuple[int, ...]
    data: "bytes | memoryview"


def host_dtype(name: str) -> HostDType:
    """The description of the dtype ``name``; TypeError for any dtype a file may not hold."""
    try:
        return DTYPES[name]
    except KeyError:
        raise TypeError(f"dtype {name!r} cannot be stored: files hold only plain numeric and boolean arrays "
                        f"({', '.join(DTYPES)})") from None


def host_to_bytes(host: Any) -> ArrayBytes:
    """A numpy.ndarray (what :meth:`ArrayBackend.to_host` returns) as :class:`ArrayBytes`.

    Uses only the array's own methods: the core imports no array library.
    """
    name = host.dtype.name
    host_dtype(name)
    if host.dtype.byteorder == ">" or (host.dtype.byteorder == "=" and sys.byteorder == "big"):
        host = host.astype(host.dtype.newbyteorder("<"))
    return ArrayBytes(name, tuple(int(n) for n in host.shape), host.tobytes(order="C"))


def check_size(dtype: str, shape: Sequence[int], nbytes: int) -> None:
    """ValueError unless ``nbytes`` bytes are exactly an array of ``dtype`` and ``shape``."""
    expected = math.prod(shape) * host_dtype(dtype).itemsize
    if expected != nbytes:
        raise ValueError(f"an array of dtype {dtype} and shape {tuple(shape)} needs {expected} bytes, "
                         f"the file gives {nbytes}")


def portable_from_bytes(xp: Any, item: ArrayBytes) -> Any:
    """A new, writable array of the namespace ``xp`` from ``item``, through the buffer protocol
    (which the array API's ``asarray`` accepts) for all but float16 (which memoryview cannot cast)."""
    kind = host_dtype(item.dtype)
    check_size(item.dtype, item.shape, len(item.data))
    if sys.byteorder != "little" and kind.itemsize > 1:
        raise NotImplementedError("reading files on a big-endian machine needs a backend that overrides "
                                  "ArrayBackend.from_bytes")
    view = memoryview(item.data).cast("B")
    dtype = getattr(xp, item.dtype, None)
    if dtype is None:
        raise TypeError(f"this backend has no dtype {item.dtype}, which the file holds")
    if math.prod(item.shape) == 0:
        return xp.zeros(item.shape, dtype=dtype)
    if kind.format == "e":  # memoryview cannot cast to half floats: go through Python floats
        values = [v for (v,) in struct.iter_unpack("<e", view)]
        return xp.reshape(xp.asarray(values, dtype=dtype), item.shape)
    # one dimension and an explicit dtype: libraries differ on multi-dimensional buffers (torch reads
    # any buffer as flat bytes of ``dtype``); a fresh bytearray, so the array owns writable memory
    flat = memoryview(bytearray(view)).cast(kind.format)
    return xp.reshape(xp.asarray(flat, dtype=dtype), item.shape)
