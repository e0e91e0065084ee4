"""MNIST and Fashion-MNIST: 28×28 grey images in the IDX format, 60,000 for training, 10,000 for test."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from dezero_core.data import Dataset
from dezero_core.data.transforms import Compose, Flatten, Normalize, ToFloat, Transform
from dezero_core.download import RemoteFile, fetch

#: IDX type codes (the third byte of the magic number) and the big-endian dtypes they stand for
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

FLAT_01 = Compose([Flatten(), ToFloat(), Normalize(0.0, 255.0)])


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in a (gzip-compressed) IDX file."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (magic bytes {raw[:4]!r})")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(IDX_DTYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim:]
    if len(body) != expected:
        raise ValueError(f"{path} holds {len(body)} bytes of data, but its header {dims} needs {expected}")
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _files(base_urls: tuple[str, ...], checksums: dict[str, str],
           repackaged: dict[str, str] | None = None) -> dict[str, RemoteFile]:
    """The four files, each at every base URL, with the official SHA-256 and, in ``repackaged``, that
    of a distribution's copy of the same content."""
    repackaged = repackaged or {}
    return {name: RemoteFile(name, sha, tuple(base + name for base in base_urls),
                             (repackaged[name],) if name in repackaged else ())
            for name, sha in checksums.items()}


class MNIST(Dataset):
    """The MNIST handwritten digits: images ``(N, 1, 28, 28)`` uint8, labels int64 in 0..9.

    The default transform flattens each image to 784 float32 values in [0, 1]. Files are downloaded
    once into ``$DEZERO_DATA_HOME/mnist`` (see :mod:`dezero_core.download`).
    """

    subdir = "mnist"
    system_dirs: tuple[str, ...] = ()
    classes = tuple(str(i) for i in range(10))
    # PyTorch's and Google's mirrors first: the official site now often refuses scripted downloads.
    files = _files(
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/",
         "http://yann.lecun.com/exdb/mnist/"),
        {"train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
         "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
         "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
         "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
    )

    def __init__(self, train: bool = True, transform: Transform | None = FLAT_01,
                 target_transform: Transform | None = None) -> None:
        self.train = train
        prefix = "train" if train else "t10k"
        images = read_idx(self._path(f"{prefix}-images-idx3-ubyte.gz"))
        labels = read_idx(self._path(f"{prefix}-labels-idx1-ubyte.gz"))
        super().__init__(images[:, None, :, :], labels.astype(np.int64), transform=transform,
                         target_transform=target_transform)

    def _path(self, name: str) -> Path:
        return fetch(self.files[name], self.subdir, self.system_dirs)

    @classmethod
    def labels(cls) -> dict[int, str]:
        """Class index -> class name (the book's ``MNIST.labels()``)."""
        return dict(enumerate(cls.classes))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, ten kinds of clothing.

    Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``) is used
    without any download when installed.
    """

    subdir = "fashion-mnist"
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
               "Bag", "Ankle boot")
    files = _files(
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
         "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"),
        {"train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
         "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
         "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
         "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"},
        # Debian's package (0.0~git20200523.55506a9-1) holds the same files without the original file
        # name in their gzip headers (each shorter by that name's length, 23 or 24 bytes): other digests
        {"train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
         "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
         "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
         "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"},
    )


