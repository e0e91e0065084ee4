"""Getting a dataset file onto disk: system folders, the cache, then the official URL and mirrors.

``fetch(remote, subdir)`` returns the path of a verified copy of ``remote``:

1. a system folder (e.g. Debian's ``dataset-fashion-mnist`` under ``/usr/share/datasets``);
2. the cache, ``$DEZERO_DATA_HOME/<subdir>`` (default ``~/.cache/dezero/<subdir>``);
3. a download from each URL in turn, into a temporary file in the cache folder that is renamed into
   place only once its SHA-256 matches, so the cache never holds a partial or corrupt file.

When every URL fails (offline, a 404, a corrupt or truncated transfer) the error lists each failure
and says where to put the file by hand.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

HOME_ENV = "DEZERO_DATA_HOME"
CHUNK = 1 << 16
TIMEOUT_S = 30.0
USER_AGENT = "dezero-datasets/0.1 (+https://github.com/oreilly-japan/deep-learning-from-scratch-3)"


@dataclass(frozen=True)
class RemoteFile:
    """A file a dataset needs: its name, its SHA-256, and the URLs to try in order."""

    name: str
    sha256: str
    urls: tuple[str, ...]


class DownloadError(OSError):
    """A dataset file could not be found locally nor downloaded from any of its URLs (an OSError, like
    the network errors behind it)."""


class ChecksumError(DownloadError):
    """Downloaded bytes whose SHA-256 differs from the expected one."""


def data_home() -> Path:
    """The cache folder: ``$DEZERO_DATA_HOME``, else ``~/.cache/dezero``."""
    env = os.environ.get(HOME_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dezero"


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(remote: RemoteFile, subdir: str, system_dirs: Iterable[str | Path] = (),
          progress: bool = True) -> Path:
    """The path of a verified local copy of ``remote``, downloading it into the cache if needed."""
    for folder in system_dirs:
        candidate = Path(folder) / remote.name
        if candidate.is_file() and sha256_of(candidate) == remote.sha256:
            return candidate
    target = data_home() / subdir / remote.name
    if target.is_file():
        if sha256_of(target) == remote.sha256:
            return target
        print(f"dezero-datasets: {target} does not match its SHA-256 (a damaged copy?); "
              f"downloading it again", file=sys.stderr)
        target.unlink()
    failures = []
    for url in remote.urls:
        try:
            _download(url, target, remote.sha256, progress)
            return target
        except (OSError, DownloadError, http.client.HTTPException) as exc:  # URLError is an OSError
            failures.append((url, exc))
    every_copy_corrupt = all(isinstance(exc, ChecksumError) for _, exc in failures)
    raise (ChecksumError if every_copy_corrupt else DownloadError)(
        f"could not download {remote.name}:\n" + "\n".join(f"  {url}: {_describe(exc)}" for url, exc in failures)
        + "\n"
        f"If this machine is offline, download it elsewhere (from {remote.urls[0]}), check that its "
        f"SHA-256 is {remote.sha256}, and put it at {target}"
        + (f" (or in {', '.join(str(d) for d in system_dirs)})" if system_dirs else "")
        + f". Set {HOME_ENV} to use another cache folder."
    )


def _download(url: str, target: Path, sha256: str, progress: bool) -> None:
    """Stream ``url`` into a temporary file beside ``target``; rename it only if it is complete and
    its SHA-256 is ``sha256``. Nothing is left behind on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            expected = response.headers.get("Content-Length")
            expected = int(expected) if expected is not None else None
            digest = hashlib.sha256()
            received = 0
            with _progress_bar(target.name, expected, progress) as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if expected is not None and received != expected:
                raise DownloadError(f"transfer truncated: received {received} of {expected} bytes")
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise ChecksumError(f"SHA-256 mismatch: expected {sha256}, got {digest.hexdigest()} "
                                f"({received} bytes); the file was discarded")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, DownloadError):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    if isinstance(exc, http.client.IncompleteRead):
        return f"transfer truncated: the connection closed after {len(exc.partial)} bytes"
    return f"{type(exc).__name__}: {exc}"


class _NoBar:
    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def update(self, n: int) -> None:
        pass


def _progress_bar(name: str, total: int | None, enabled: bool):
    """A tqdm byte counter on stderr (silent when tqdm is missing, disabled, or stderr is no tty)."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name, disable=None,
                leave=False)
