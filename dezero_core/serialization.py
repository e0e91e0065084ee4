"""Files of named arrays (weights) and the atomic writes every file of the project goes through.

Weights are written in the safetensors layout (:mod:`dezero_core.fileformats.safetensors`), which
holds numbers only: loading a file never runs code and never interprets its bytes as objects. The
npz files of earlier versions and of the book are still read, by a reader that refuses anything but
plain numeric and boolean arrays. Arrays go to and from files through the backend protocol
(``to_bytes``/``from_bytes``), so a model trained on a GPU saves the same file as one on a CPU, and
the core imports no array library.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from typing import IO, Any, Callable, Mapping

from dezero_core.backend.host_io import ArrayBytes
from dezero_core.backend.selection import backend_of, get_backend
from dezero_core.fileformats import FileFormatError, npz, safetensors
from dezero_core.graph.transfer import move_array

#: what a temporary file of :func:`atomic_write` is called, between ``.<target name>.`` and ``.tmp``
_TMP_TAG = "dezero-{pid}-"
_TMP_PATTERN = re.compile(r"dezero-(\d+)-[A-Za-z0-9_]+")
_OLD_TMP_PATTERN = re.compile(r"[a-z0-9_]{8}")  # mkstemp's names before the pid was part of them
_OLD_TMP_AGE_S = 600.0


class WeightsFileError(FileFormatError):
    """A weights file that cannot be read; the message names the file and what is wrong with it."""


def save_arrays(path: "str | os.PathLike[str]", arrays: Mapping[str, Any],
                metadata: Mapping[str, str] | None = None) -> None:
    """Write ``arrays`` (name -> array of any backend) to ``path`` as a safetensors file, atomically.

    The file is written next to ``path`` under a temporary name and renamed over it only once it is
    complete: a failure (a full disk, an interrupt) leaves the previous file as it was.
    """
    items = encode_arrays(arrays)
    atomic_write(path, lambda f: safetensors.write(f, items, metadata))


def load_arrays(path: "str | os.PathLike[str]") -> dict[str, Any]:
    """Every array of the weights file ``path`` (safetensors, or npz of earlier versions), name ->
    a new array on the current backend.

    A file that is damaged, truncated, of another format or holding anything but plain numeric and
    boolean arrays raises :class:`WeightsFileError` naming ``path`` and the fault.
    """
    name = os.fspath(path)
    blob = read_bytes(name)
    try:
        if npz.is_npz(blob):
            return {key: decode_array(item, fortran) for key, (item, fortran) in npz.read(blob).items()}
        _, items = safetensors.read(blob)
        return {key: decode_array(item) for key, item in items.items()}
    except FileFormatError as exc:
        kind = "read as an npz archive" if npz.is_npz(blob) else "read as safetensors, the format of save_weights"
        raise WeightsFileError(f"cannot load weights from {name}: it {exc} ({kind}); "
                               f"save the weights again or fetch a good copy") from None


def read_bytes(path: str) -> bytes:
    """The content of the file ``path`` (errors name the path, as the OS's do)."""
    with open(path, "rb") as f:
        return f.read()


def encode_arrays(arrays: Mapping[str, Any]) -> dict[str, ArrayBytes]:
    """name -> :class:`ArrayBytes` of each array, through its backend's ``to_bytes``."""
    out = {}
    for name, array in arrays.items():
        try:
            out[name] = backend_of(array).to_bytes(array)
        except TypeError as exc:
            raise TypeError(f"cannot save {name!r}: {exc}") from None
    return out


def decode_array(item: ArrayBytes, fortran: bool = False) -> Any:
    """A new array on the current backend from a file's :class:`ArrayBytes` (``fortran``: the bytes
    hold the transpose, as npz files in Fortran order do)."""
    backend = get_backend()
    array = backend.from_bytes(item)
    if fortran and array.ndim > 1:
        array = backend.xp.permute_dims(array, tuple(reversed(range(array.ndim))))
    return array


def copy_like(array: Any, like: Any) -> Any:
    """A copy of ``array`` (any backend) on the backend, device and dtype of ``like``.

    With ``like=None`` (a parameter not created yet) the copy goes to the current backend, in the
    array's own dtype. Always a copy: a loaded state must not share memory with where it came from,
    since optimizers update parameters in place.
    """
    if like is None:
        target, device = get_backend(), None
    else:
        target = backend_of(like)
        device = target.device_of(like)
    moved = move_array(array, target.name, device)
    if moved is array:  # same backend and device: move_array did not copy
        moved = target.xp.asarray(array, copy=True)
    if like is not None and moved.dtype != like.dtype:
        moved = target.xp.astype(moved, like.dtype)
    return moved


def atomic_write(path: "str | os.PathLike[str]", write: Callable[[IO[bytes]], None]) -> None:
    """Create or replace the file ``path`` with what ``write(binary_file)`` writes, all or nothing.

    ``write`` writes into a temporary file in the same directory (so that the final rename stays on
    one file system and is atomic); the file is synced, then moved over ``path`` with ``os.replace``.
    If ``write`` raises, the temporary file is removed and ``path`` is untouched. A replaced file keeps
    its permission bits (a checkpoint made read-only stays read-only). Temporary files of ``path``
    left by a writer that was killed are removed first.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    remove_stale_temporaries(directory, base)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{base}.{_TMP_TAG.format(pid=os.getpid())}", suffix=".tmp")
    try:
        os.chmod(tmp, mode)  # mkstemp creates the file readable by its owner only
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_stale_temporaries(directory: str, base: str) -> list[str]:
    """Remove the temporary files of the target ``base`` in ``directory`` whose writer is gone (a
    process that no longer runs, or, for files named before the pid was part of the name, older than
    ten minutes); returns their paths. Others' files in progress are left alone."""
    prefix, removed = f".{base}.", []
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            middle = entry.name[len(prefix):-len(".tmp")]
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")) or not _stale(entry, middle):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


def _stale(entry: "os.DirEntry[str]", middle: str) -> bool:
    match = _TMP_PATTERN.fullmatch(middle)
    if match and os.name == "posix":
        pid = int(match.group(1))
        return pid != os.getpid() and not _running(pid)
    if match or _OLD_TMP_PATTERN.fullmatch(middle):  # (no signal 0 to probe a pid elsewhere: by age)
        with contextlib.suppress(OSError):
            return time.time() - entry.stat().st_mtime > _OLD_TMP_AGE_S
    return False


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:  # the only way to read the umask is to set it; do it once
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK
