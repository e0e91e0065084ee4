"""CheckpointError says what to do about the cause of a failed write."""
from __future__ import annotations

import errno
import os

import pytest

from dezero_core.training import CheckpointError, save_checkpoint


@pytest.mark.parametrize("code,advice", [
    (errno.EACCES, "make {folder} writable for this user or choose another --out"),
    (errno.ENOSPC, "free some space in {folder} or choose another --out"),
    (errno.EROFS, "{folder} is on a read-only file system: choose another --out"),
])
def test_the_advice_follows_the_cause(tmp_path, monkeypatch, code, advice):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(tmp_path / "c", {"epoch": 1})
    message = str(info.value)
    assert message.endswith(advice.format(folder=tmp_path)) and os.strerror(code) in message
    if code != errno.ENOSPC:
        assert "free some space" not in message
