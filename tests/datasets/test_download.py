"""fetch(): cache, checksums, mirrors, system folders, and every way a download can fail."""
from pathlib import Path

import pytest

from dezero_datasets.download import ChecksumError, DownloadError, RemoteFile, data_home, fetch

from dataset_files import Server, sha256

BODY = b"the real bytes of a dataset file\n" * 1000


def remote(*urls, body=BODY):
    return RemoteFile("file.bin", sha256(body), tuple(urls))


def cache_files(home: Path) -> list[str]:
    return sorted(p.name for p in home.rglob("*") if p.is_file())


def test_downloads_into_the_cache_under_data_home(server, data_home):
    path = fetch(remote(server.serve("f", BODY)), "sub", progress=False)
    assert path == data_home / "sub" / "file.bin"
    assert path.read_bytes() == BODY


def test_a_cached_file_is_used_without_the_network(server, data_home):
    spec = remote(server.serve("f", BODY))
    fetch(spec, "sub", progress=False)
    fetch(spec, "sub", progress=False)
    assert server.requests == ["/f"]


def test_corrupted_download_is_a_checksum_error_and_leaves_nothing_in_the_cache(server, data_home):
    url = server.serve("f", BODY[:-1] + b"X")
    with pytest.raises(ChecksumError, match="SHA-256 mismatch") as info:
        fetch(remote(url), "sub", progress=False)
    assert url in str(info.value)
    assert cache_files(data_home) == []


def test_truncated_transfer_is_an_error_and_leaves_nothing_in_the_cache(server, data_home):
    url = server.serve("f", BODY, kind="truncate")
    with pytest.raises(DownloadError, match="truncated"):
        fetch(remote(url), "sub", progress=False)
    assert cache_files(data_home) == []


def test_404_names_the_url_and_says_where_to_put_the_file_by_hand(server, data_home):
    url = server.url("absent")
    with pytest.raises(DownloadError) as info:
        fetch(remote(url), "sub", progress=False)
    message = str(info.value)
    assert f"{url}: HTTP 404" in message
    assert str(data_home / "sub" / "file.bin") in message and sha256(BODY) in message
    assert cache_files(data_home) == []


def test_server_that_went_away_is_a_connection_error_with_the_manual_route(data_home):
    gone = Server()
    url = gone.url("f")
    gone.stop()
    with pytest.raises(DownloadError, match="cannot connect") as info:
        fetch(remote(url), "sub", progress=False)
    assert "offline" in str(info.value) and str(data_home / "sub" / "file.bin") in str(info.value)


def test_next_mirror_is_tried_after_a_failure(server, data_home):
    path = fetch(remote(server.url("absent"), server.serve("mirror/f", BODY)), "sub", progress=False)
    assert path.read_bytes() == BODY
    assert server.requests == ["/absent", "/mirror/f"]


def test_every_failure_is_listed(server, data_home):
    with pytest.raises(DownloadError) as info:
        fetch(remote(server.url("a"), server.serve("b", b"wrong")), "sub", progress=False)
    assert "/a: HTTP 404" in str(info.value) and "/b: SHA-256 mismatch" in str(info.value)


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


def test_damaged_cached_file_is_downloaded_again(server, data_home, capsys):
    target = data_home / "sub" / "file.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a fi")
    assert fetch(remote(server.serve("f", BODY)), "sub", progress=False).read_bytes() == BODY
    assert "does not match its SHA-256" in capsys.readouterr().err


def test_progress_bar_does_not_break_the_download(server, data_home):
    assert fetch(remote(server.serve("f", BODY)), "sub", progress=True).read_bytes() == BODY


def test_data_home_defaults_to_the_user_cache(monkeypatch):
    monkeypatch.delenv("DEZERO_DATA_HOME", raising=False)
    assert data_home() == Path.home() / ".cache" / "dezero"
