"""Reading the npz weights files of earlier versions and of the book, without numpy and without pickle.

An npz file is a zip archive of ``.npy`` files; each starts with a magic string, a version and a
Python-literal header (``{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}``) followed by
the raw elements. The header is parsed with :func:`ast.literal_eval` (literals only, no code) and
``descr`` must name a plain numeric or boolean dtype: an archive of object arrays, records or
anything else is refused before any of its bytes are used.
"""
from __future__ import annotations

import ast
import io
import zipfile
from typing import Any

from dezero_core.backend.host_io import DTYPES, ArrayBytes, check_size
from dezero_core.fileformats import FileFormatError

ZIP_MAGIC = b"PK\x03\x04"
NPY_MAGIC = b"\x93NUMPY"
#: numpy's type codes ('f4' in '<f4') -> dtype name
_CODES = {"b1": "bool", "u1": "uint8", "i1": "int8", "u2": "uint16", "i2": "int16", "u4": "uint32",
          "i4": "int32", "u8": "uint64", "i8": "int64", "f2": "float16", "f4": "float32", "f8": "float64"}
assert set(_CODES.values()) == set(DTYPES)


def is_npz(blob: "bytes | memoryview") -> bool:
    """Whether ``blob`` starts like a zip archive (the npz container)."""
    return bytes(blob[:4]) == ZIP_MAGIC


def read(blob: "bytes | memoryview") -> dict[str, tuple[ArrayBytes, bool]]:
    """name -> (ArrayBytes, fortran_order) for every ``.npy`` member of the npz archive ``blob``.

    With ``fortran_order`` the bytes hold the array transposed: the shape given is already reversed,
    and the caller transposes the array it builds.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(blob)))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise FileFormatError(f"is a damaged or truncated zip archive ({exc})") from None
    out = {}
    with archive:
        for member in members:
            name = member.filename[:-4] if member.filename.endswith(".npy") else member.filename
            try:
                data = archive.read(member)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                raise FileFormatError(f"has a damaged member {member.filename!r} ({exc})") from None
            out[name] = _npy(name, data)
    return out


def _npy(name: str, data: bytes) -> tuple[ArrayBytes, bool]:
    if not data.startswith(NPY_MAGIC) or len(data) < 10:
        raise FileFormatError(f"has a member {name!r} that is not a .npy array")
    major = data[6]
    if major == 1:
        length, start = int.from_bytes(data[8:10], "little"), 10
    elif major in (2, 3):
        length, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise FileFormatError(f"has a member {name!r} in .npy version {major}, which is not known")
    try:
        header = ast.literal_eval(data[start:start + length].decode("latin1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise FileFormatError(f"has a member {name!r} with a damaged header ({type(exc).__name__})") from None
    if not (isinstance(header, dict) and {"descr", "fortran_order", "shape"} <= header.keys()):
        raise FileFormatError(f"has a member {name!r} with a damaged header")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or descr[:1] not in "<>|=" or descr[1:] not in _CODES:
        raise FileFormatError(f"holds {name!r} with dtype {descr!r}; only plain numeric and boolean arrays "
                              f"are read (object arrays and records would need pickle, which is never used)")
    if descr[0] == ">" and descr[1:] not in ("b1", "u1", "i1"):
        raise FileFormatError(f"holds {name!r} in big-endian byte order ({descr!r}), which is not read; "
                              f"convert the file on the machine that wrote it")
    if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)) or not isinstance(fortran, bool):
        raise FileFormatError(f"has a member {name!r} with a damaged header (shape {shape!r})")
    body = memoryview(data)[start + length:]
    item = ArrayBytes(_CODES[descr[1:]], tuple(reversed(shape)) if fortran else shape, body)
    try:
        check_size(item.dtype, item.shape, len(body))
    except ValueError as exc:
        raise FileFormatError(f"has a truncated or damaged member {name!r}: {exc}") from None
    return item, fortran
