"""The JSON half of a checkpoint (its state description) is checked like its arrays: damage is found,
and a forged structure is a CheckpointError naming the file, never a bare TypeError."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from dezero_core.fileformats import safetensors
from dezero_core.training import CheckpointError, load_checkpoint, save_checkpoint


def rewrite_state(path: Path, state: str, *, recompute_digest: bool) -> None:
    """Replace the state JSON of the checkpoint at ``path``; with ``recompute_digest`` the forger also
    writes the SHA-256 the loader expects (arrays' bytes, then the state)."""
    metadata, items = safetensors.read(path.read_bytes())
    metadata = dict(metadata, state=state)
    if recompute_digest:
        digest = hashlib.sha256()
        for item in items.values():
            digest.update(item.data)
        digest.update(state.encode())
        metadata["sha256"] = digest.hexdigest()
    with open(path, "wb") as f:
        safetensors.write(f, dict(items), metadata)


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, {"w": np.arange(3.0), "pair": (1, 2), "epoch": 5})
    return path


def test_a_changed_number_in_the_state_is_found_as_damage(checkpoint: Path) -> None:
    # the digest used to cover the arrays only: an epoch of 5 read back as 6 without a word
    state = load_checkpoint(checkpoint)
    assert state["epoch"] == 5 and state["pair"] == (1, 2)
    rewrite_state(checkpoint, '{"w": {"__array__": "w"}, "pair": {"__tuple__": [1, 2]}, "epoch": 6}',
                  recompute_digest=False)
    with pytest.raises(CheckpointError, match=r"run\.ckpt is damaged: the SHA-256 of its arrays and state"):
        load_checkpoint(checkpoint)


@pytest.mark.parametrize("state", [
    '{"w": {"__tuple__": 5}}',
    '{"w": {"__dict__": 3}}',
    '{"w": {"__dict__": [[{"k": 1}, 2]]}}',
    '{"w": {"__array__": ["w"]}}',
    '[1, 2',
])
def test_a_forged_structure_is_a_checkpoint_error_naming_the_file(checkpoint: Path, state: str) -> None:
    rewrite_state(checkpoint, state, recompute_digest=True)
    with pytest.raises(CheckpointError, match=r"run\.ckpt has a damaged state description"):
        load_checkpoint(checkpoint)


def test_a_deeply_nested_state_is_a_checkpoint_error(checkpoint: Path) -> None:
    rewrite_state(checkpoint, "[" * 100_000 + "]" * 100_000, recompute_digest=True)
    with pytest.raises(CheckpointError, match=r"run\.ckpt has a damaged state description \(RecursionError"):
        load_checkpoint(checkpoint)
