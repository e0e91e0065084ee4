"""Pretrained weights: downloaded once into the cache, verified by SHA-256, written atomically.

``fetch_weights(url, sha256)`` returns the path of a verified local copy: the cached file when it
exists and matches, else a download streamed into a temporary file beside it that is renamed into
place only when the whole transfer has the expected SHA-256. The cache is ``$DEZERO_DATA_HOME/models``
(default ``~/.cache/dezero/models``); ``file://`` URLs work too (an offline mirror).
"""
from __future__ import annotations

import hashlib
import os
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dezero_core.serialization import atomic_write

HOME_ENV = "DEZERO_DATA_HOME"
CHUNK = 1 << 20
TIMEOUT_S = 60.0

_BOOK_RELEASE = "https://github.com/koki0702/dezero-models/releases/download/v0.1/"


@dataclass(frozen=True)
class PretrainedWeights:
    """Where a model's weights live: the URL and the SHA-256 of the file (None: not pinned yet)."""

    url: str
    sha256: str | None

    @property
    def filename(self) -> str:
        """The file's name in the cache: the last part of the URL's path."""
        return os.path.basename(urllib.parse.urlparse(self.url).path)


#: The book's weight files. Their release publishes no checksums and they could not be fetched where
#: this table was written, so they are not pinned: the first download prints the SHA-256 to pin here.
WEIGHTS = {
    "VGG16": PretrainedWeights(_BOOK_RELEASE + "vgg16.npz", None),
    "ResNet50": PretrainedWeights(_BOOK_RELEASE + "resnet50.npz", None),
    "ResNet101": PretrainedWeights(_BOOK_RELEASE + "resnet101.npz", None),
    "ResNet152": PretrainedWeights(_BOOK_RELEASE + "resnet152.npz", None),
}


class ChecksumError(RuntimeError):
    """A downloaded or cached file whose SHA-256 is not the expected one."""


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


def fetch_weights(url: str, sha256: str | None, filename: str | None = None, subdir: str = "models") -> Path:
    """The path of a verified local copy of ``url`` in the cache, downloading it when needed.

    A cached file that does not match ``sha256`` is downloaded again. ``sha256=None`` accepts any
    content and warns with the file's digest, so that it can be pinned.
    """
    target = data_home() / subdir / (filename or PretrainedWeights(url, sha256).filename)
    if target.is_file():
        if sha256 is None or sha256_of(target) == sha256:
            return target
        warnings.warn(f"{target} does not match its SHA-256 (a damaged copy?); downloading it again",
                      RuntimeWarning, stacklevel=2)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()

    def download(out: IO[bytes]) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": "dezero-core"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            expected = response.headers.get("Content-Length")
            received = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
        if expected is not None and received != int(expected):
            raise ConnectionError(f"download of {url} truncated: {received} of {expected} bytes")
        if sha256 is not None and digest.hexdigest() != sha256:
            raise ChecksumError(f"SHA-256 mismatch for {url}: expected {sha256}, got {digest.hexdigest()}; "
                                f"the download was discarded (the cache still holds what it held)")

    try:
        atomic_write(target, download)
    except OSError as exc:  # URLError is an OSError: offline, HTTP errors, refused connections
        raise ConnectionError(f"could not download {url}: {exc}. Offline? Download it elsewhere and put it at "
                              f"{target} (set {HOME_ENV} to use another cache folder).") from exc
    if sha256 is None:
        warnings.warn(f"{url} has no pinned SHA-256; the downloaded file's is {digest.hexdigest()}",
                      RuntimeWarning, stacklevel=2)
    return target


def load_pretrained(model: "object", name: str) -> None:
    """Load the weights registered in :data:`WEIGHTS` under ``name`` into ``model``."""
    weights = WEIGHTS[name]
    model.load_weights(fetch_weights(weights.url, weights.sha256))  # type: ignore[attr-defined]
