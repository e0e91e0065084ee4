"""atomic_write: what a killed writer leaves is cleaned on the next save; a replaced file keeps its mode."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dezero_core.serialization import save_arrays
from dezero_core.training import save_checkpoint

WRITER = """
import sys, time
from dezero_core.serialization import atomic_write
def write(f):
    f.write(b"x" * 4096); f.flush(); print("writing", flush=True); time.sleep(60)
atomic_write(sys.argv[1], write)
"""


def start_writer(path: Path) -> subprocess.Popen:
    """A process in the middle of saving ``path`` (its temporary file exists)."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    return proc


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_the_temporary_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "checkpoint.dzc"
    for _ in range(3):  # each killed save leaves its temporary; the next one removes the one before
        writer = start_writer(target)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert len(temporaries(tmp_path)) == 1
    save_checkpoint(target, {"w": np.zeros(3)})
    assert temporaries(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.dzc"]


@pytest.mark.skipif(os.name != "posix", reason="signal 0 probes")
def test_a_save_in_progress_elsewhere_is_left_alone(tmp_path):
    target = tmp_path / "w"
    writer = start_writer(target)
    try:
        save_arrays(target, {"a": np.ones(2)})
        assert len(temporaries(tmp_path)) == 1
    finally:
        writer.kill()
        writer.wait()


def test_temporaries_of_other_targets_are_left_alone(tmp_path):
    other = tmp_path / ".w.other.dezero-1-abc.tmp"  # the temporary of a file named "w.other"
    other.write_bytes(b"")
    save_arrays(tmp_path / "w", {"a": np.ones(2)})
    assert other.exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_replacing_a_read_only_checkpoint_keeps_its_mode(tmp_path):
    target = tmp_path / "c"
    save_checkpoint(target, {"epoch": 1})
    os.chmod(target, 0o444)
    save_checkpoint(target, {"epoch": 2})
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444
