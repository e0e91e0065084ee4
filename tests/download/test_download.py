"""dezero_core.download.fetch: system folders, the cache, checksums, mirrors, progress, and every way a
download can fail, against a real HTTP server on 127.0.0.1."""
import subprocess
import sys
from hashlib import sha256 as _sha256
from pathlib import Path

import pytest

from dezero_core.download import ChecksumError, DownloadError, RemoteFile, data_home, fetch

from http_server import Server

BODY = b"the real bytes of a downloaded file\n" * 1000


def sha256(data: bytes) -> str:
    return _sha256(data).hexdigest()


def remote(*urls, body=BODY):
    return RemoteFile("file.bin", sha256(body), tuple(urls))


def cache_files(home: Path) -> list[str]:
    return sorted(p.name for p in home.rglob("*") if p.is_file())


# -- where the file comes from ---------------------------------------------------------------------
def test_downloads_into_the_cache_under_data_home(server, data_home):
    path = fetch(remote(server.serve("f", BODY)), "sub", progress=False)
    assert path == data_home / "sub" / "file.bin"
    assert path.read_bytes() == BODY


def test_a_cached_file_is_used_without_the_network(server, data_home):
    spec = remote(server.serve("f", BODY))
    fetch(spec, "sub", progress=False)
    fetch(spec, "sub", progress=False)
    assert server.requests == ["/f"]


def test_damaged_cached_file_is_downloaded_again_with_a_warning(server, data_home):
    target = data_home / "sub" / "file.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a fi")
    with pytest.warns(RuntimeWarning, match=f"{target} does not match its SHA-256 {sha256(BODY)}"):
        assert fetch(remote(server.serve("f", BODY)), "sub", progress=False).read_bytes() == BODY


def test_system_folder_is_searched_before_cache_and_network(server, data_home, tmp_path):
    system = tmp_path / "usr-share"
    system.mkdir()
    (system / "file.bin").write_bytes(BODY)
    assert fetch(remote(server.url("f")), "sub", [system], progress=False) == system / "file.bin"
    assert server.requests == []


def test_system_file_with_a_wrong_checksum_is_ignored(server, data_home, tmp_path):
    (tmp_path / "file.bin").write_bytes(b"another version")
    path = fetch(remote(server.serve("f", BODY)), "sub", [tmp_path], progress=False)
    assert path == data_home / "sub" / "file.bin"


def test_a_copy_with_an_alternate_digest_is_accepted_like_the_official_one(server, data_home, tmp_path):
    repackaged = b"the same content, compressed again"
    spec = RemoteFile("file.bin", sha256(BODY), (server.serve("f", repackaged),), (sha256(repackaged),))
    (tmp_path / "file.bin").write_bytes(repackaged)
    assert fetch(spec, "sub", [tmp_path], progress=False) == tmp_path / "file.bin"
    assert fetch(spec, "sub", progress=False).read_bytes() == repackaged


def test_next_mirror_is_tried_after_a_failure(server, data_home):
    path = fetch(remote(server.url("absent"), server.serve("mirror/f", BODY)), "sub", progress=False)
    assert path.read_bytes() == BODY
    assert server.requests == ["/absent", "/mirror/f"]


def test_file_urls_serve_as_an_offline_mirror(data_home, tmp_path):
    source = tmp_path / "mirror" / "file.bin"
    source.parent.mkdir()
    source.write_bytes(BODY)
    assert fetch(remote(source.as_uri()), "sub", progress=False).read_bytes() == BODY


def test_an_absolute_subdir_is_used_as_it_is(server, data_home, tmp_path):
    # dezero.utils.get_file keeps the book's files in its own cache_dir this way
    path = fetch(remote(server.serve("f", BODY)), tmp_path / "elsewhere", progress=False)
    assert path == tmp_path / "elsewhere" / "file.bin"


def test_data_home_defaults_to_the_user_cache(monkeypatch):
    monkeypatch.delenv("DEZERO_DATA_HOME", raising=False)
    assert data_home() == Path.home() / ".cache" / "dezero"


# -- checksums -------------------------------------------------------------------------------------
def test_corrupted_download_is_a_checksum_error_and_leaves_nothing_in_the_cache(server, data_home):
    url = server.serve("f", BODY[:-1] + b"X")
    with pytest.raises(ChecksumError, match="SHA-256 mismatch") as info:
        fetch(remote(url), "sub", progress=False)
    assert f"{url}: SHA-256 mismatch: expected {sha256(BODY)}, got {sha256(BODY[:-1] + b'X')}" in str(info.value)
    assert cache_files(data_home) == []


def test_unpinned_file_is_accepted_with_a_warning_giving_its_digest(server, data_home):
    url = server.serve("f", BODY)
    with pytest.warns(RuntimeWarning, match=f"{url} has no pinned SHA-256; the downloaded file's is {sha256(BODY)}"):
        path = fetch(RemoteFile("file.bin", None, (url,)), "sub", progress=False)
    assert path.read_bytes() == BODY


def test_a_remote_file_needs_a_url():
    with pytest.raises(ValueError, match="RemoteFile 'file.bin' has no URL; give at least one"):
        RemoteFile("file.bin", None, ())


# -- failures --------------------------------------------------------------------------------------
def test_404_names_the_url_and_says_where_to_put_the_file_by_hand(server, data_home, tmp_path):
    url = server.url("absent")
    with pytest.raises(DownloadError) as info:
        fetch(remote(url), "sub", [tmp_path / "system"], progress=False)
    assert type(info.value) is DownloadError
    assert str(info.value) == (
        f"could not download file.bin:\n"
        f"  {url}: HTTP 404 Not Found\n"
        f"If this machine is offline, download it elsewhere (from {url}), check that its SHA-256 is "
        f"{sha256(BODY)}, and put it at {data_home / 'sub' / 'file.bin'} (or in {tmp_path / 'system'}). "
        f"Set DEZERO_DATA_HOME to use another cache folder."
    )
    assert cache_files(data_home) == []


def test_an_unpinned_file_that_cannot_be_downloaded_asks_for_no_checksum(server, data_home):
    url = server.url("absent")
    with pytest.raises(DownloadError) as info:
        fetch(RemoteFile("file.bin", None, (url,)), "sub", progress=False)
    assert f"(from {url}) and put it at {data_home / 'sub' / 'file.bin'}." in str(info.value)


def test_truncated_transfer_is_an_error_and_leaves_nothing_in_the_cache(server, data_home):
    url = server.serve("f", BODY, kind="truncate")
    with pytest.raises(DownloadError, match=f"{url}: transfer truncated"):
        fetch(remote(url), "sub", progress=False)
    assert cache_files(data_home) == []


def test_server_that_went_away_is_a_connection_error_with_the_manual_route(data_home):
    gone = Server()
    url = gone.url("f")
    gone.stop()
    with pytest.raises(DownloadError, match=f"{url}: cannot connect") as info:
        fetch(remote(url), "sub", progress=False)
    assert "offline" in str(info.value) and str(data_home / "sub" / "file.bin") in str(info.value)


def test_every_failure_is_listed_and_one_good_copy_makes_it_no_checksum_error(server, data_home):
    with pytest.raises(DownloadError) as info:
        fetch(remote(server.url("a"), server.serve("b", b"wrong")), "sub", progress=False)
    assert "/a: HTTP 404" in str(info.value) and "/b: SHA-256 mismatch" in str(info.value)
    assert type(info.value) is DownloadError


# -- progress and imports --------------------------------------------------------------------------
class RecordingBar:
    """Stands in for tqdm: records its arguments and the bytes it was advanced by."""

    made: list["RecordingBar"] = []

    def __init__(self, **kwargs):
        self.kwargs, self.n = kwargs, 0
        RecordingBar.made.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def update(self, n):
        self.n += n


@pytest.fixture
def bars(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr("tqdm.auto.tqdm", RecordingBar)
    monkeypatch.setattr(RecordingBar, "made", [])
    return RecordingBar.made


def test_progress_bar_counts_every_byte_against_the_announced_size(server, data_home, bars):
    fetch(remote(server.serve("f", BODY)), "sub")
    assert [(bar.kwargs["desc"], bar.kwargs["total"], bar.n) for bar in bars] == [("file.bin", len(BODY), len(BODY))]


def test_no_progress_bar_when_progress_is_off(server, data_home, bars):
    fetch(remote(server.serve("f", BODY)), "sub", progress=False)
    assert bars == []


def test_downloads_work_without_tqdm(server, data_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # importing it raises ImportError
    assert fetch(remote(server.serve("f", BODY)), "sub").read_bytes() == BODY


def test_importing_the_module_loads_no_array_library_network_module_or_tqdm():
    code = ("import sys, dezero_core.download\n"
            "print(sorted(m for m in ('numpy', 'urllib.request', 'http.client', 'ssl', 'tqdm') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
