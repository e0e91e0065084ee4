"""CIFAR-10 and CIFAR-100: 32×32 colour images, 50,000 for training and 10,000 for test.

The official "python version" archives hold pickled batches; they are read straight from the
verified ``.tar.gz`` (the SHA-256 check is what makes unpickling them safe).
"""
from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np

from dezero_core.data import Dataset
from dezero_core.data.transforms import Compose, Normalize, ToFloat, Transform
from dezero_core.download import RemoteFile, fetch

IMAGES_01 = Compose([ToFloat(), Normalize(0.0, 255.0)])


def read_batches(archive: str | Path, names: list[str], label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 3, 32, 32)`` uint8 and int64 labels of the pickled batches ``names`` in ``archive``.

    Members are read in archive order, in one pass (seeking back in a gzip stream decompresses again).
    """
    found: dict[str, dict] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if member.name in names:
                f = tar.extractfile(member)
                assert f is not None
                found[member.name] = pickle.load(f, encoding="bytes")
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"{archive} lacks {', '.join(missing)}: not a CIFAR python archive?")
    data = np.concatenate([np.asarray(found[n][b"data"], dtype=np.uint8) for n in names])
    labels = np.concatenate([np.asarray(found[n][label_key], dtype=np.int64) for n in names])
    return data.reshape(-1, 3, 32, 32), labels


class CIFAR10(Dataset):
    """CIFAR-10: images ``(N, 3, 32, 32)`` uint8, labels int64 in 0..9.

    The default transform gives float32 values in [0, 1]. The archive (163 MB) is downloaded once into
    ``$DEZERO_DATA_HOME/cifar``.
    """

    subdir = "cifar"
    system_dirs: tuple[str, ...] = ()
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    archive = RemoteFile("cifar-10-python.tar.gz",
                         "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                         ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",))
    folder = "cifar-10-batches-py"
    train_batches = tuple(f"data_batch_{i}" for i in range(1, 6))
    test_batches = ("test_batch",)
    label_key = b"labels"

    def __init__(self, train: bool = True, transform: Transform | None = IMAGES_01,
                 target_transform: Transform | None = None) -> None:
        self.train = train
        path = fetch(self.archive, self.subdir, self.system_dirs)
        names = [f"{self.folder}/{n}" for n in (self.train_batches if train else self.test_batches)]
        data, labels = read_batches(path, names, self.label_key)
        super().__init__(data, labels, transform=transform, target_transform=target_transform)

    @classmethod
    def labels(cls) -> dict[int, str]:
        """Class index -> class name."""
        return dict(enumerate(cls.classes))


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 with 100 fine classes (``label_type="coarse"`` for the 20 superclasses)."""

    archive = RemoteFile("cifar-100-python.tar.gz",
                         "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
                         ("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",))
    folder = "cifar-100-python"
    train_batches = ("train",)
    test_batches = ("test",)
    classes = tuple(str(i) for i in range(100))

    def __init__(self, train: bool = True, transform: Transform | None = IMAGES_01,
                 target_transform: Transform | None = None, label_type: str = "fine") -> None:
        if label_type not in ("fine", "coarse"):
            raise ValueError(f"label_type must be 'fine' or 'coarse', got {label_type!r}")
        self.label_key = label_type.encode() + b"_labels"
        if label_type == "coarse":
            self.classes = tuple(str(i) for i in range(20))
        super().__init__(train, transform, target_transform)
