"""Checkpoint files: one file holding a whole training state, written atomically and verified on load.

Layout: a magic line, the payload's length (8 bytes, big-endian) and SHA-256 (32 bytes), then the
payload, a pickle of the state in which every array has been copied to host memory. The length and
digest make a truncated or damaged file a clear error instead of a confusing unpickling failure;
the file is written through :func:`~dezero_core.serialization.atomic_write`, so a crash or a full
disk while writing leaves the previous checkpoint as it was.

Loading unpickles only plain containers, numbers, strings and host arrays: a checkpoint cannot make
the loader import or call anything else.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import shutil
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.data.arrays import is_array
from dezero_core.serialization import atomic_write

MAGIC = b"DEZERO-CHECKPOINT 1\n"
_HEADER = len(MAGIC) + 8 + 32

#: the only globals a checkpoint may name: numpy's array and dtype reconstructors, and safe builtins
_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("builtins", "complex"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("collections", "OrderedDict"),
}


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be written (the previous one is kept) or read (damaged, truncated)."""


def save_checkpoint(path: "str | os.PathLike[str]", state: Any, keep_previous: bool = False) -> None:
    """Write ``state`` (nested dicts, lists, numbers, arrays of any backend) to ``path`` atomically.

    With ``keep_previous``, the file being replaced stays available as ``<path>.prev`` (a hard link,
    or a copy where links are not supported): if the newest file is ever damaged, the one before it
    is still there to resume from.
    """
    name = os.fspath(path)
    payload = pickle.dumps(to_host(state), protocol=pickle.HIGHEST_PROTOCOL)
    header = MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest()
    existed = os.path.exists(name)

    def write(f: Any) -> None:
        f.write(header)
        f.write(payload)

    try:
        if keep_previous and existed:
            _keep(name, previous(name))
        atomic_write(name, write)
    except OSError as exc:
        kept = f"the previous checkpoint at {name} is untouched" if existed else "no checkpoint was written"
        raise CheckpointError(f"could not write the checkpoint {name}: {exc.strerror or exc} ({kept}); "
                              f"free some space or choose another --out") from exc


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
    """The state saved by :func:`save_checkpoint` at ``path``, with arrays as host (numpy) arrays.

    A missing, truncated or damaged file raises :class:`CheckpointError`, which names the previous
    checkpoint (``<path>.prev``) when there is one; nothing on disk is changed.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            blob = f.read()
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {name}") from None
    try:
        return _decode(blob)
    except CheckpointError as exc:
        prev = previous(name)
        hint = (f"; the previous checkpoint {prev} is untouched: resume from it" if os.path.exists(prev)
                else "; resume from an earlier checkpoint if you have one")
        raise CheckpointError(f"{name} {exc}{hint}") from None


def _decode(blob: bytes) -> Any:
    if not blob.startswith(MAGIC):
        raise CheckpointError(f"is not a dezero checkpoint (it does not start with {MAGIC!r})")
    if len(blob) < _HEADER:
        raise CheckpointError(f"is truncated: {len(blob)} bytes, shorter than its header")
    size = int.from_bytes(blob[len(MAGIC):len(MAGIC) + 8], "big")
    payload = blob[_HEADER:]
    if len(payload) != size:
        raise CheckpointError(f"is truncated or damaged: its header announces {size} bytes of state but "
                              f"{len(payload)} follow")
    if hashlib.sha256(payload).digest() != blob[_HEADER - 32:_HEADER]:
        raise CheckpointError("is damaged: its SHA-256 does not match its content")
    try:
        return _RestrictedUnpickler(io.BytesIO(payload)).load()
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"cannot be read: {exc}") from None


def to_host(state: Any) -> Any:
    """``state`` with every array (of any backend) replaced by a host copy; containers are rebuilt."""
    if isinstance(state, dict):
        return {k: to_host(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(to_host(v) for v in state)
    if is_array(state):
        return backend_of(state).to_host(state)
    return state


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it refers to {module}.{name}, which a checkpoint may not contain")
