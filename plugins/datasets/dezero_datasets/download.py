"""Getting a dataset file onto disk: :mod:`dezero_core.download`, under the names this module has
always had (``fetch``, ``RemoteFile``, ``DownloadError``, ``ChecksumError``, ``data_home``).

A dataset fetches its files from system folders, then the cache ``$DEZERO_DATA_HOME/<subdir>``
(default ``~/.cache/dezero/<subdir>``), then its official URL and mirrors, each checked by SHA-256.
"""
from dezero_core.download import HOME_ENV, ChecksumError, DownloadError, RemoteFile, data_home, fetch, sha256_of

__all__ = ["HOME_ENV", "ChecksumError", "DownloadError", "RemoteFile", "data_home", "fetch", "sha256_of"]
