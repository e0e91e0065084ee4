"""Pretrained weights: where the book's weight files live, and loading them into a model.

``fetch_weights(url, sha256)`` returns the path of a verified local copy in
``$DEZERO_DATA_HOME/models`` (default ``~/.cache/dezero/models``), downloaded once through
:func:`dezero_core.download.fetch` (SHA-256 checked, written atomically; ``file://`` URLs work too,
as an offline mirror).
"""
from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

# data_home, sha256_of and ChecksumError are re-exported: this module's public names before
# dezero_core.download existed (the book's dezero.utils imports data_home from here)
from dezero_core.download import (ChecksumError, DownloadError, RemoteFile, data_home, fetch, fetch_and_read,
                                  sha256_of)

__all__ = ["WEIGHTS", "ChecksumError", "DownloadError", "PretrainedWeights", "data_home", "fetch_weights",
           "load_pretrained", "sha256_of"]

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


def fetch_weights(url: str, sha256: str | None, filename: str | None = None, subdir: str = "models") -> Path:
    """The path of a verified local copy of ``url`` in ``$DEZERO_DATA_HOME/<subdir>``, downloading it
    when needed; the file is named ``filename``, by default the last part of the URL's path.

    A cached file that does not match ``sha256`` is downloaded again. ``sha256=None`` accepts any
    content and warns with the file's digest, so that it can be pinned. Raises
    :class:`~dezero_core.download.DownloadError` (``ChecksumError`` for wrong bytes) saying where to
    put the file by hand.
    """
    name = filename or PretrainedWeights(url, sha256).filename
    return fetch(RemoteFile(name, sha256, (url,)), subdir)


def load_pretrained(model: "object", name: str) -> None:
    """Load the weights registered in :data:`WEIGHTS` under ``name`` into ``model``.

    The weights are not pinned by a digest, so the file is checked by reading it: a cached copy that
    cannot be read (a truncated download) is moved aside with a warning naming it and downloaded again.
    """
    from dezero_core.layers.layer import StateDictError
    from dezero_core.serialization import load_arrays

    weights = WEIGHTS[name]
    remote = RemoteFile(PretrainedWeights(weights.url, weights.sha256).filename, weights.sha256, (weights.url,))
    path, state = fetch_and_read(remote, "models", lambda p: (p, load_arrays(p)))
    try:
        model.load_state_dict(state)  # type: ignore[attr-defined]
    except StateDictError as exc:
        raise StateDictError(f"{path}: {exc}", exc.missing, exc.unexpected, exc.mismatched) from None
