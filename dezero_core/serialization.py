"""Saving and loading named arrays (weights, checkpoints) as npz files, written atomically.

The core imports no array library: npz files are written and read through the numpy backend, which
every installation that saves weights has (``pip install dezero-numpy``). Arrays of any backend are
copied to host memory first, so a model trained on a GPU saves the same file as one trained on a CPU.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Any, Callable, Mapping

from dezero_core.backend.selection import BackendError, backend_of, get_backend
from dezero_core.graph.transfer import move_array


def save_npz(path: "str | os.PathLike[str]", arrays: Mapping[str, Any]) -> None:
    """Write ``arrays`` (name -> array of any backend) to the npz file ``path``, atomically.

    The file is written next to ``path`` under a temporary name and renamed over it only once it is
    complete: a failure (a full disk, an interrupt) leaves the previous file as it was.
    """
    numpy_backend = _numpy_backend("save")
    host = {name: backend_of(array).to_host(array) for name, array in arrays.items()}
    atomic_write(path, lambda f: numpy_backend.save_arrays(f, host))


def load_npz(path: "str | os.PathLike[str]") -> dict[str, Any]:
    """Every array of the npz file ``path``, name -> numpy array (host memory)."""
    numpy_backend = _numpy_backend("load")
    with open(path, "rb") as f:
        return numpy_backend.load_arrays(f)


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
    If ``write`` raises, the temporary file is removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        # mkstemp creates the file readable by its owner only; give it the usual permissions
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:  # the only way to read the umask is to set it; do it once
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def _numpy_backend(action: str) -> Any:
    try:
        return get_backend("numpy")
    except BackendError as exc:
        raise BackendError(f"cannot {action} npz files without the numpy backend ({exc}); "
                           "install it with: pip install dezero-numpy") from exc
