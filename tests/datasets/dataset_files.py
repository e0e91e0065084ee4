"""Test helpers: dataset files generated in the real formats."""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile

import numpy as np


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def idx_gz(array: np.ndarray) -> bytes:
    """``array`` (uint8) as a gzip-compressed IDX file, as MNIST ships them."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def cifar_tar_gz(folder: str, batches: dict[str, dict]) -> bytes:
    """A ``.tar.gz`` of pickled batches under ``folder``, as the CIFAR python archives hold them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in batches.items():
            blob = pickle.dumps(content, protocol=2)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()
