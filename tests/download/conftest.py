"""Fixtures of the download tests: a local HTTP server and an empty DEZERO_DATA_HOME."""
import pytest

from http_server import Server


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """An empty cache folder in DEZERO_DATA_HOME."""
    home = tmp_path / "cache"
    monkeypatch.setenv("DEZERO_DATA_HOME", str(home))
    return home
