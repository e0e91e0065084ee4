"""Getting a file onto disk once: system folders, the cache, then each URL in turn, verified by SHA-256.

One module serves every download of the project: pretrained weights
(:mod:`dezero_core.models.pretrained`), the datasets of ``dezero-datasets`` and the book's
``dezero.utils.get_file``. ``fetch(remote, subdir)`` returns the path of a verified copy of ``remote``:

1. a file of that name in one of ``system_dirs`` (e.g. Debian's ``dataset-fashion-mnist`` under
   ``/usr/share/datasets``), used where it lies;
2. the cache, ``$DEZERO_DATA_HOME/<subdir>`` (default ``~/.cache/dezero/<subdir>``);
3. a download from each URL in turn (``file://`` URLs work: an offline mirror), streamed into a
   temporary file beside the target and renamed into place only once the transfer is complete and
   its SHA-256 matches, so the cache never holds a partial or corrupt file.

When every URL fails (offline, a 404, a corrupt or truncated transfer) the error lists each URL with
what went wrong and says where to put the file by hand. The network modules and tqdm (the progress
bar, when installed) are imported at the first download, not with this module.

Files without a pinned digest (the book's weights and label files) can only be checked by reading
them: :func:`fetch_and_read` reads the copy, and a copy that cannot be read is moved aside, named in
a warning and downloaded again.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, TypeVar

from dezero_core.serialization import atomic_write

T = TypeVar("T")
HOME_ENV = "DEZERO_DATA_HOME"
CHUNK = 1 << 20
TIMEOUT_S = 60.0
# some servers refuse Python's default agent (yann.lecun.com did)
USER_AGENT = "dezero (+https://github.com/oreilly-japan/deep-learning-from-scratch-3)"


@dataclass(frozen=True)
class RemoteFile:
    """A file to fetch: its name on disk, its SHA-256 (``None``: not pinned yet, any content is
    accepted with a warning that gives its digest) and the URLs to try, in order.

    ``alternate_sha256`` lists the digests of other known-good copies of the same content, accepted
    like ``sha256`` (Debian's dataset packages recompress the original ``.gz`` files).
    """

    name: str
    sha256: str | None
    urls: tuple[str, ...]
    alternate_sha256: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError(f"RemoteFile {self.name!r} has no URL; give at least one (a file:// URL "
                             f"for a local mirror)")

    def accepts(self, digest: str) -> bool:
        """Whether a copy whose SHA-256 is ``digest`` is this file."""
        return self.sha256 is None or digest in (self.sha256, *self.alternate_sha256)


class DownloadError(OSError):
    """A file found neither locally nor at any of its URLs (an OSError, like the network errors
    behind it)."""


class ChecksumError(DownloadError):
    """Downloaded bytes whose SHA-256 is not the expected one."""


def data_home() -> Path:
    """The cache folder: ``$DEZERO_DATA_HOME``, else ``~/.cache/dezero``."""
    env = os.environ.get(HOME_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dezero"


def sha256_of(path: "str | os.PathLike[str]") -> str:
    """The hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(remote: RemoteFile, subdir: "str | os.PathLike[str]",
          system_dirs: Iterable["str | os.PathLike[str]"] = (), progress: bool = True) -> Path:
    """The path of a verified local copy of ``remote``, downloading it into the cache if needed.

    ``subdir`` is a folder under :func:`data_home` (an absolute path is used as it is). A cached file
    that does not match ``remote.sha256`` is downloaded again, with a warning. ``progress`` shows a
    tqdm byte counter on a terminal when tqdm is installed. Raises :class:`ChecksumError` when every
    URL served wrong bytes, else :class:`DownloadError` when none gave the file.
    """
    system_dirs = tuple(system_dirs)
    for folder in system_dirs:
        candidate = Path(folder) / remote.name
        if candidate.is_file() and _is_copy(candidate, remote):
            return candidate
    target = data_home() / subdir / remote.name
    if target.is_file():
        if _is_copy(target, remote):
            return target
        warnings.warn(f"{target} does not match its SHA-256 {remote.sha256} (a damaged copy?); "
                      f"downloading it again", RuntimeWarning, stacklevel=2)
    import http.client  # here, not at the top: it imports ssl, which only a download needs

    failures: list[tuple[str, BaseException]] = []
    for url in remote.urls:
        try:
            digest = _download(url, target, remote, progress)
        except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError; IncompleteRead is not
            failures.append((url, exc))
            continue
        if remote.sha256 is None:
            warnings.warn(f"{url} has no pinned SHA-256; the downloaded file's is {digest}",
                          RuntimeWarning, stacklevel=2)
        return target
    raise _failure(remote, target, system_dirs, failures) from failures[-1][1]


#: what a reader raises for a file that is not what it should be (truncated, damaged, another format)
INVALID_CONTENT = (ValueError, SyntaxError, EOFError, UnicodeDecodeError)


def fetch_and_read(remote: RemoteFile, subdir: "str | os.PathLike[str]", read: Callable[[Path], T],
                   system_dirs: Iterable["str | os.PathLike[str]"] = (), progress: bool = True,
                   invalid: tuple[type[BaseException], ...] = INVALID_CONTENT) -> T:
    """``read(path)`` of a local copy of ``remote`` (see :func:`fetch`), validated by reading it.

    For files without a pinned digest, reading is the only check there is: a cached copy that
    ``read`` refuses (raising one of ``invalid``) is moved aside to ``<name>.damaged`` with a warning
    naming it, downloaded again and read once more. A fresh download that cannot be read either is
    moved aside too, and a :class:`DownloadError` names the file and the fault. ``read`` should only
    read the file (not, say, load it into a model), so that its errors are the file's.
    """
    system_dirs = tuple(system_dirs)
    path = fetch(remote, subdir, system_dirs, progress)
    try:
        return read(path)
    except invalid as exc:
        fault: BaseException = exc
    if path != data_home() / subdir / remote.name:  # a system folder's copy: not ours to move
        raise DownloadError(f"{path} cannot be read ({_fault(fault)}); repair or remove it, or download "
                            f"{remote.name} from {remote.urls[0]}") from fault
    aside = _move_aside(path)
    warnings.warn(f"{path} cannot be read ({_fault(fault)}): moved it to {aside} and downloading it again",
                  RuntimeWarning, stacklevel=2)
    path = fetch(remote, subdir, system_dirs, progress)
    try:
        return read(path)
    except invalid as exc:
        aside = _move_aside(path)
        raise DownloadError(f"{remote.name} was downloaded again but cannot be read either ({_fault(exc)}); it "
                            f"is kept at {aside} for inspection. The server may be serving a damaged file: "
                            f"try again later or put a good copy at {path}") from exc


def _move_aside(path: Path) -> Path:
    """Rename ``path`` to ``<path>.damaged`` (replacing an older one) and return the new name."""
    aside = path.with_name(path.name + ".damaged")
    os.replace(path, aside)
    return aside


def _fault(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _is_copy(path: Path, remote: RemoteFile) -> bool:
    """Whether the file at ``path`` is ``remote`` (read only when ``remote`` is pinned: weights can be
    hundreds of MB)."""
    return remote.sha256 is None or remote.accepts(sha256_of(path))


def _download(url: str, target: Path, remote: RemoteFile, progress: bool) -> str:
    """Stream ``url`` into ``target`` atomically and return its SHA-256: nothing is written unless the
    transfer is complete and ``remote`` accepts its digest."""
    import urllib.request

    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()

    def write(out: IO[bytes]) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            expected = int(length) if length is not None else None
            received = 0
            with _progress_bar(target.name, expected, progress) as advance:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    advance(len(chunk))
        if expected is not None and received != expected:
            raise DownloadError(f"transfer truncated: received {received} of {expected} bytes")
        if not remote.accepts(digest.hexdigest()):
            raise ChecksumError(f"SHA-256 mismatch: expected {remote.sha256}, got {digest.hexdigest()} "
                                f"({received} bytes); the download was discarded")

    atomic_write(target, write)
    return digest.hexdigest()


def _failure(remote: RemoteFile, target: Path, system_dirs: tuple["str | os.PathLike[str]", ...],
             failures: list[tuple[str, BaseException]]) -> DownloadError:
    """The error for a file no URL gave: each URL with its failure, then the way to do it by hand."""
    every_copy_corrupt = all(isinstance(exc, ChecksumError) for _, exc in failures)
    check = f", check that its SHA-256 is {remote.sha256}," if remote.sha256 is not None else ""
    return (ChecksumError if every_copy_corrupt else DownloadError)(
        f"could not download {remote.name}:\n" + "".join(f"  {url}: {_describe(exc)}\n" for url, exc in failures)
        + f"If this machine is offline, download it elsewhere (from {remote.urls[0]}){check} and put it at "
        f"{target}" + (f" (or in {', '.join(str(d) for d in system_dirs)})" if system_dirs else "")
        + f". Set {HOME_ENV} to use another cache folder."
    )


def _describe(exc: BaseException) -> str:
    import http.client
    import urllib.error

    if isinstance(exc, DownloadError):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    if isinstance(exc, http.client.IncompleteRead):
        return f"transfer truncated: the connection closed after {len(exc.partial)} bytes"
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _progress_bar(name: str, total: int | None, enabled: bool) -> Iterator[Callable[[int], object]]:
    """Yields ``advance(n_bytes)``: a tqdm byte counter on stderr, silent when ``enabled`` is false,
    tqdm is not installed or stderr is not a terminal."""
    tqdm = None
    if enabled:
        with contextlib.suppress(ImportError):
            from tqdm.auto import tqdm
    if tqdm is None:
        yield lambda n: None
        return
    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name, disable=None,
              leave=False) as bar:
        yield bar.update
