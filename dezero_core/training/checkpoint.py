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

import hashlib
import io
import os
import pickle
from typing import Any

from dezero_core.backend.selection import backend_of
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


def save_checkpoint(path: "str | os.PathLike[str]", state: Any) -> None:
    """Write ``state`` (nested dicts, lists, numbers, arrays of any backend) to ``path`` atomically."""
    payload = pickle.dumps(to_host(state), protocol=pickle.HIGHEST_PROTOCOL)
    header = MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest()
    existed = os.path.exists(path)

    def write(f: Any) -> None:
        f.write(header)
        f.write(payload)

    try:
        atomic_write(path, write)
    except OSError as exc:
        kept = f"the previous checkpoint at {os.fspath(path)} is untouched" if existed else "no checkpoint was written"
        raise CheckpointError(f"could not write the checkpoint {os.fspath(path)}: "
                              f"{exc.strerror or exc} ({kept}); free some space or choose another --out") from exc


def load_checkpoint(path: "str | os.PathLike[str]") -> Any:
    """The state saved by :func:`save_checkpoint` at ``path``, with arrays as host (numpy) arrays."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            blob = f.read()
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {name}") from None
    if not blob.startswith(MAGIC):
        raise CheckpointError(f"{name} is not a dezero checkpoint (it does not start with {MAGIC!r})")
    if len(blob) < _HEADER:
        raise CheckpointError(f"{name} is truncated: {len(blob)} bytes, shorter than its header")
    size = int.from_bytes(blob[len(MAGIC):len(MAGIC) + 8], "big")
    payload = blob[_HEADER:]
    if len(payload) != size:
        raise CheckpointError(f"{name} is truncated or damaged: its header announces {size} bytes of "
                              f"state but {len(payload)} follow; resume from an earlier checkpoint")
    if hashlib.sha256(payload).digest() != blob[_HEADER - 32:_HEADER]:
        raise CheckpointError(f"{name} is damaged: its SHA-256 does not match its content; resume from "
                              f"an earlier checkpoint")
    try:
        return _RestrictedUnpickler(io.BytesIO(payload)).load()
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"{name} cannot be read: {exc}") from exc


def to_host(state: Any) -> Any:
    """``state`` with every array (of any backend) replaced by a host copy; containers are rebuilt."""
    if isinstance(state, dict):
        return {k: to_host(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(to_host(v) for v in state)
    if hasattr(state, "__array_namespace__"):
        return backend_of(state).to_host(state)
    return state


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it refers to {module}.{name}, which a checkpoint may not contain")
