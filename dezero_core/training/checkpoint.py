"""Checkpoint files: one file holding a whole training state, written atomically and verified on load.

A checkpoint is a safetensors file (:mod:`dezero_core.fileformats.safetensors`): the arrays of the
state as numbers, and in its metadata the rest of the state as JSON (dicts, lists, tuples, strings,
numbers, None; each array replaced by ``{"__array__": name}``) with one SHA-256 over the array data
and that JSON, so damage to either part is found on load.
Neither part can carry code or objects: loading a checkpoint never runs anything, whoever wrote it.
The file is written through :func:`~dezero_core.serialization.atomic_write`, so a crash or a full
disk while writing leaves the previous checkpoint as it was.

Checkpoints of format 1 (a pickle, written by earlier versions) are still read, by an unpickler that
lets numpy see nothing of the file (:mod:`dezero_core.fileformats.legacy_checkpoint`).
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
from typing import Any

from dezero_core.data.arrays import is_array
from dezero_core.fileformats import FileFormatError, legacy_checkpoint, safetensors
from dezero_core.serialization import atomic_write, decode_array, encode_arrays, read_bytes

KIND = "dezero-checkpoint"
FORMAT = "2"
#: the markers of the JSON structure; a dict using one of them as a key is written as {"__dict__": items}
_ARRAY, _TUPLE, _DICT = "__array__", "__tuple__", "__dict__"
#: kept for the readers of format 1
MAGIC = legacy_checkpoint.MAGIC


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be written (the previous one is kept) or read (damaged, truncated)."""


def save_checkpoint(path: "str | os.PathLike[str]", state: Any, keep_previous: bool = False) -> None:
    """Write ``state`` (nested dicts, lists, tuples, strings, numbers, None and arrays of any backend) to
    ``path`` atomically. Anything else is a TypeError naming where it is in ``state``.

    With ``keep_previous``, the file being replaced stays available as ``<path>.prev`` (a hard link,
    or a copy where links are not supported): if the newest file is ever damaged, the one before it
    is still there to resume from.
    """
    name = os.fspath(path)
    arrays: dict[str, Any] = {}
    structure = json.dumps(_encode(state, "", arrays))
    items = encode_arrays(arrays)
    metadata = {"format": KIND, "version": FORMAT, "state": structure, "sha256": _digest(items, structure)}
    existed = os.path.exists(name)
    try:
        if keep_previous and existed:
            _keep(name, previous(name))
        atomic_write(name, lambda f: safetensors.write(f, items, metadata))
    except OSError as exc:
        kept = f"the previous checkpoint at {name} is untouched" if existed else "no checkpoint was written"
        raise CheckpointError(f"could not write the checkpoint {name}: {exc.strerror or exc} ({kept}); "
                              f"{_advice(exc, name)}") from exc


def _advice(exc: OSError, name: str) -> str:
    """What to do about a failed write, from its cause."""
    folder = os.path.dirname(os.path.abspath(name))
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"free some space in {folder} or choose another --out"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"make {folder} writable for this user or choose another --out"
    if exc.errno == errno.EROFS:
        return f"{folder} is on a read-only file system: choose another --out"
    return "choose another --out"


def previous(path: "str | os.PathLike[str]") -> str:
    """Where :func:`save_checkpoint` keeps the checkpoint it replaced: ``<path>.prev``."""
    return os.fspath(path) + ".prev"


def _keep(name: str, prev: str) -> None:
    """Make ``prev`` a second name of the file ``name`` (atomically replacing an older ``prev``)."""
    tmp = prev + ".tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    try:
        os.link(name, tmp)
    except OSError:  # no hard links here (some network or FAT file systems): copy
        shutil.copyfile(name, tmp)
    os.replace(tmp, prev)


def load_checkpoint(path: "str | os.PathLike[str]") -> Any:
    """The state saved by :func:`save_checkpoint` at ``path``, its arrays new arrays on the current
    backend (``dezero_core.using_backend``).

    A missing, truncated, damaged or forged file raises :class:`CheckpointError`, which names the
    previous checkpoint (``<path>.prev``) when there is one; nothing on disk is changed.
    """
    name = os.fspath(path)
    try:
        blob = read_bytes(name)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {name}") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint {name}: {exc.strerror or exc}") from None
    try:
        return _decode_file(blob)
    except FileFormatError as exc:
        prev = previous(name)
        hint = (f"; the previous checkpoint {prev} is untouched: resume from it" if os.path.exists(prev)
                else "; resume from an earlier checkpoint if you have one")
        raise CheckpointError(f"{name} {exc}{hint}") from None


def _decode_file(blob: bytes) -> Any:
    if blob.startswith(MAGIC):
        return _rebuild_legacy(legacy_checkpoint.read(_legacy_payload(blob)))
    metadata, items = safetensors.read(blob)
    if metadata.get("format") != KIND:
        raise FileFormatError("is not a dezero checkpoint (a safetensors file without its metadata)")
    if metadata.get("version") != FORMAT:
        raise FileFormatError(f"is a checkpoint of format {metadata.get('version')!r}, which this version "
                              f"of dezero-core does not read (it reads {FORMAT} and 1)")
    text = metadata.get("state")
    if not isinstance(text, str):
        raise FileFormatError("is damaged: it has no state description")
    if _digest(items, text) != metadata.get("sha256"):
        raise FileFormatError("is damaged: the SHA-256 of its arrays and state does not match the one it records")
    try:
        return _decode(json.loads(text), items)
    except FileFormatError:
        raise
    except (ValueError, TypeError, RecursionError) as exc:  # a structure _encode never writes (or nested deep)
        raise FileFormatError(f"has a damaged state description ({type(exc).__name__}: {exc})") from None


def _digest(items: dict[str, Any], structure: str) -> str:
    """The SHA-256 of the arrays' bytes, in the file's order, then of the state's JSON."""
    digest = hashlib.sha256()
    for item in items.values():
        digest.update(item.data)
    digest.update(structure.encode())
    return digest.hexdigest()


def _encode(value: Any, where: str, arrays: dict[str, Any]) -> Any:
    """``value`` as JSON, its arrays moved into ``arrays`` under names made of their place in ``value``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if is_array(value):
        name = where.strip("/") or "state"
        while name in arrays:
            name += "'"
        arrays[name] = value
        return {_ARRAY: name}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not {_ARRAY, _TUPLE, _DICT} & value.keys():
            return {k: _encode(v, f"{where}/{k}", arrays) for k, v in value.items()}
        return {_DICT: [[_encode(k, f"{where}/key", arrays), _encode(v, f"{where}/{k}", arrays)]
                        for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{where}/{i}", arrays) for i, v in enumerate(value)]
        return {_TUPLE: items} if isinstance(value, tuple) else items
    raise TypeError(f"a checkpoint holds dicts, lists, tuples, strings, numbers, None and arrays; "
                    f"{where.strip('/') or 'the state'} is a {type(value).__name__}")


def _decode(value: Any, items: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_decode(v, items) for v in value]
    if not isinstance(value, dict):
        return value
    if _ARRAY in value:
        if value[_ARRAY] not in items:
            raise FileFormatError(f"is damaged: its state refers to an array {value[_ARRAY]!r} it does not hold")
        return decode_array(items[value[_ARRAY]])
    if _TUPLE in value:
        return tuple(_decode(v, items) for v in value[_TUPLE])
    if _DICT in value:
        return {_hashable(_decode(k, items)): _decode(v, items) for k, v in value[_DICT]}
    return {k: _decode(v, items) for k, v in value.items()}


def _hashable(key: Any) -> Any:
    if isinstance(key, list):
        raise FileFormatError("is damaged: a dict key of its state is a list")
    return key


def _legacy_payload(blob: bytes) -> bytes:
    """The pickle of a format-1 file, after checking its length and SHA-256."""
    header = len(MAGIC) + 8 + 32
    if len(blob) < header:
        raise FileFormatError(f"is truncated: {len(blob)} bytes, shorter than its header")
    size = int.from_bytes(blob[len(MAGIC):len(MAGIC) + 8], "big")
    payload = blob[header:]
    if len(payload) != size:
        raise FileFormatError(f"is truncated or damaged: its header announces {size} bytes of state but "
                              f"{len(payload)} follow")
    if hashlib.sha256(payload).digest() != blob[header - 32:header]:
        raise FileFormatError("is damaged: its SHA-256 does not match its content")
    return payload


def _rebuild_legacy(value: Any) -> Any:
    """A format-1 state with each (ArrayBytes, fortran_order) pair made an array of the current backend."""
    if isinstance(value, legacy_checkpoint.DecodedArray):
        return decode_array(value.item, value.fortran)
    if isinstance(value, dict):
        return {k: _rebuild_legacy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_rebuild_legacy(v) for v in value)
    return value
