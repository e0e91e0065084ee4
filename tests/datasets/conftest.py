"""Fixtures of the dataset tests: an empty DEZERO_DATA_HOME and a local mirror (file:// URLs).

Downloading itself (HTTP, checksums, failures) is dezero_core.download's, tested in tests/download;
here the files only have to arrive through it.
"""
import pytest

from dezero_core.download import RemoteFile

from dataset_files import sha256


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """An empty cache folder in DEZERO_DATA_HOME."""
    home = tmp_path / "cache"
    monkeypatch.setenv("DEZERO_DATA_HOME", str(home))
    return home


@pytest.fixture
def mirror(tmp_path):
    """``mirror(name, blob)``: a RemoteFile for ``blob``, served from a folder through a file:// URL."""
    folder = tmp_path / "mirror"
    folder.mkdir()

    def put(name: str, blob: bytes) -> RemoteFile:
        (folder / name).write_bytes(blob)
        return RemoteFile(name, sha256(blob), ((folder / name).as_uri(),))
    return put
