"""The safetensors layout, written and read by the core from arrays' bytes.

A file is 8 bytes (little-endian u64) giving the header's length N, N bytes of JSON (padded with
spaces), then the arrays' raw little-endian bytes. The header maps each name to ``{"dtype", "shape",
"data_offsets": [begin, end]}`` (offsets into the data section) and may hold ``"__metadata__"``, a
map of strings. The format cannot carry code or objects; files written here are read by the
``safetensors`` library and the other way round.
"""
from __future__ import annotations

import json
import math
from typing import IO, Any, Iterable, Mapping

from dezero_core.backend.host_io import DTYPES, ArrayBytes
from dezero_core.fileformats import FileFormatError

#: a header larger than this is refused before it is parsed (the safetensors library's own limit)
MAX_HEADER = 100_000_000
_BY_CODE = {d.safetensors: d for d in DTYPES.values()}


def write(f: IO[bytes], arrays: Mapping[str, ArrayBytes], metadata: Mapping[str, str] | None = None) -> None:
    """Write ``arrays`` (name -> :class:`ArrayBytes`) and string ``metadata`` to the binary file ``f``."""
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, item in arrays.items():
        if name == "__metadata__":  # the format's reserved key: the file would not read back
            raise ValueError("an array cannot be named '__metadata__' (safetensors reserves the name); rename it")
        size = len(item.data)
        header[name] = {"dtype": DTYPES[item.dtype].safetensors, "shape": list(item.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned, as the library writes it
    f.write(len(text).to_bytes(8, "little"))
    f.write(text)
    for item in arrays.values():
        f.write(item.data)


def read(blob: "bytes | memoryview") -> tuple[dict[str, str], dict[str, ArrayBytes]]:
    """``(metadata, name -> ArrayBytes)`` of a whole file's bytes; the arrays' data are views of ``blob``.

    Checks everything before returning: the header's length and JSON, every entry's dtype, shape and
    offsets, and that the arrays tile the data section exactly (no gap, no overlap, no trailing bytes).
    """
    view = memoryview(blob)
    if len(view) < 8:
        raise FileFormatError(f"is truncated: {len(view)} bytes, shorter than the 8-byte header length")
    size = int.from_bytes(view[:8], "little")
    if size > MAX_HEADER or 8 + size > len(view):
        raise FileFormatError(f"is truncated or not a safetensors file: its header announces {size} bytes "
                              f"but the file has {len(view) - 8} after the length")
    try:
        header = json.loads(bytes(view[8:8 + size]))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # (a forged header nests deep)
        raise FileFormatError(f"has a damaged header (not JSON: {exc})") from None
    if not isinstance(header, dict):
        raise FileFormatError("has a damaged header (not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FileFormatError("has damaged metadata (__metadata__ must map names to strings)")
    data = view[8 + size:]
    entries = {name: _entry(name, spec) for name, spec in header.items()}
    _check_tiling(entries.items(), len(data))
    arrays = {name: ArrayBytes(dtype, shape, data[begin:end]) for name, (dtype, shape, begin, end) in entries.items()}
    return metadata, arrays


def _entry(name: str, spec: Any) -> tuple[str, tuple[int, ...], int, int]:
    if not isinstance(spec, dict):
        raise FileFormatError(f"has a damaged header: the entry {name!r} is not an object")
    kind = _BY_CODE.get(spec.get("dtype"))  # type: ignore[arg-type]
    if kind is None:
        raise FileFormatError(f"holds {name!r} with dtype {spec.get('dtype')!r}; only plain numeric and "
                              f"boolean dtypes are read ({', '.join(_BY_CODE)})")
    shape, offsets = spec.get("shape"), spec.get("data_offsets")
    if not (isinstance(shape, list) and all(_natural(n) for n in shape)):
        raise FileFormatError(f"has a damaged header: the shape of {name!r} is {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_natural(n) for n in offsets)
            and offsets[0] <= offsets[1]):
        raise FileFormatError(f"has a damaged header: the data_offsets of {name!r} are {offsets!r}")
    begin, end = offsets
    if end - begin != math.prod(shape) * kind.itemsize:
        raise FileFormatError(f"has a damaged header: {name!r} of dtype {kind.safetensors} and shape "
                              f"{tuple(shape)} needs {math.prod(shape) * kind.itemsize} bytes, its offsets "
                              f"span {end - begin}")
    return kind.name, tuple(shape), begin, end


def _check_tiling(entries: Iterable[tuple[str, tuple[str, tuple[int, ...], int, int]]], size: int) -> None:
    position = 0
    for name, (_, _, begin, end) in sorted(entries, key=lambda e: (e[1][2], e[1][3])):
        if begin != position:
            raise FileFormatError(f"is damaged: the data of {name!r} starts at byte {begin}, expected {position}")
        position = end
    if position != size:
        what = "truncated" if position > size else "damaged"
        raise FileFormatError(f"is {what}: its header describes {position} bytes of data, the file holds {size}")


def _natural(n: Any) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0
