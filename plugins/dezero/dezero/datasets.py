"""The book's ``dezero.datasets``: ``Dataset``, ``get_spiral``, the book's datasets and its cache helpers.

``Spiral``, ``SinCurve``, ``MNIST``, ``CIFAR10``, ``CIFAR100`` and ``Shakespear`` (the book's
spelling of ``Shakespeare``) are those of the ``dezero-datasets`` distribution, with what the book
adds: ``MNIST.show()`` and ``CIFAR10.show()`` draw a grid of random images; ``get_spiral`` and
``Spiral`` leave numpy's global generator seeded as the book's do (so the model created next gets
the book's initial weights), and ``SinCurve``'s noise is drawn from it (float64, as in the book).
Other registered datasets (``FashionMNIST``, ``Digits``, plugins') are found in the
``dezero.datasets`` entry-point group on first access.

``Dataset`` is the book's base class: a subclass fills ``self.data`` and ``self.label`` in
``prepare()``, or defines its own ``__getitem__`` and ``__len__`` (the book's ``BigData``).
``load_cache_npz``/``save_cache_npz`` keep a dataset's arrays in ``dezero.utils.cache_dir``.
"""
from __future__ import annotations

import ast
import os
import warnings
from abc import ABCMeta
from typing import Any

import numpy as np

from dezero_core.data import Dataset as _CoreDataset
from dezero_core.data.transforms import Transform
from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.backend.selection import using_backend
from dezero_core.serialization import WeightsFileError, atomic_write, load_arrays
import dezero_datasets as _datasets
from dezero_datasets import Shakespeare
from dezero_datasets.toy import spiral

__all__ = [
    "BigData", "CIFAR10", "CIFAR100", "Dataset", "ImageNet", "MNIST", "Shakespear", "Shakespeare", "SinCurve",
    "Spiral", "get_spiral", "load_cache_npz", "save_cache_npz",
]

#: the class names of ImageNet's 1000 classes, the file the book reads
IMAGENET_LABELS_URL = ("https://gist.githubusercontent.com/yrevar/942d3a0ac09ec9e5eb3a/raw/"
                       "238f720ff059c1f82f368259d1ca4ffa5dd8f9f5/imagenet1000_clsidx_to_labels.txt")

#: the book's spelling
Shakespear = Shakespeare


class Dataset(_CoreDataset, metaclass=ABCMeta):
    """The book's base class: ``Dataset(train=True, transform=None, target_transform=None)``.

    The constructor calls :meth:`prepare`, which a subclass writes to set ``self.data`` and
    ``self.label`` (None for unlabelled data); ``dataset[i]`` is then ``(transform(data[i]),
    target_transform(label[i]))``. A subclass may instead define ``__getitem__`` and ``__len__``
    itself and leave ``self.data`` None. dezero_core's datasets count as instances of it too.
    """

    @classmethod
    def __subclasshook__(cls, candidate: type) -> Any:
        # the datasets of dezero-datasets (Spiral, MNIST...) are book datasets too
        if cls is Dataset and issubclass(candidate, _CoreDataset):
            return True
        return NotImplemented

    def __init__(self, train: bool = True, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        self.train = train
        self.data: Any = None
        self.label: Any = None
        self.prepare()
        if self.data is None and type(self).__getitem__ is not _CoreDataset.__getitem__:
            # serves its own samples (the book's BigData): nothing for dezero_core to hold
            self.transform, self.target_transform = transform, target_transform
            return
        if self.data is None:
            raise ValueError(f"{type(self).__name__}.prepare() left self.data as None: set self.data "
                             f"(and self.label) to the samples there, or define __getitem__ and __len__")
        super().__init__(self.data, self.label, transform=transform, target_transform=target_transform)

    def prepare(self) -> None:
        """Set ``self.data`` and ``self.label`` (a subclass's job; ``self.train`` says which split)."""


class BigData(Dataset):
    """The book's example of data too big for memory: sample ``i`` is read when it is asked for, from
    ``data/{i}.npy`` and ``label/{i}.npy`` (relative to the working directory); 1,000,000 samples."""

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        x = np.load(f"data/{index}.npy")
        t = np.load(f"label/{index}.npy")
        return x, t

    def __len__(self) -> int:
        return 1000000


# -- the book's toy data, and numpy's global generator ---------------------------------------------
def _seed_as_get_spiral(train: bool) -> None:
    """Leave numpy's global generator where the book's ``get_spiral`` leaves it: seeded with 1984
    (training) or 2020 (test), then 300 normals and a permutation of 300 drawn from it."""
    np.random.seed(1984 if train else 2020)
    np.random.randn(300)
    np.random.permutation(300)


def get_spiral(train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The book's spiral: ``x`` (300, 2) float32 and labels ``t`` (300,) int64, the book's numbers.

    As the book's, it seeds numpy's global generator (1984 for training, 2020 for test) and draws the
    points from it, so what is drawn next (a model's initial weights, a shuffle) is the book's too.
    """
    x, t = spiral(train)
    _seed_as_get_spiral(train)
    return x, t


class Spiral(_datasets.Spiral):
    """The spiral of :func:`get_spiral` as a dataset; creating it seeds numpy's global generator as
    :func:`get_spiral` does."""

    def __init__(self, train: bool = True, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        super().__init__(train, transform, target_transform)
        _seed_as_get_spiral(train)


class SinCurve(_datasets.SinCurve):
    """The book's SinCurve: ``sin`` over ``[0, 2π]`` (1000 points) plus uniform noise in ±0.05 drawn
    from numpy's global generator (drawn for the test split too, which is a clean ``cos``); ``data``
    holds points ``0..998`` and ``label`` points ``1..999``, float64, shape ``(999, 1)``."""

    def __init__(self, train: bool = True, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        # (not dezero-datasets' __init__, whose noise comes from a generator of its own)
        self.train = train
        x = np.linspace(0, 2 * np.pi, 1000)
        noise = np.random.uniform(-0.05, 0.05, size=x.shape)
        y = np.sin(x) + noise if train else np.cos(x)
        _CoreDataset.__init__(self, y[:-1, None], y[1:, None], transform=transform,
                              target_transform=target_transform)


# -- image datasets with the book's show() --------------------------------------------------------
class _ImageGrid:
    """The book's ``show(row, col)``: a grid of images picked by ``np.random.randint``, drawn with
    matplotlib (imported at the call)."""

    data: Any
    cmap: str | None = None

    def _image(self, index: int) -> np.ndarray:
        """Image ``index`` of ``data`` as matplotlib shows it: (H, W) grey or (H, W, 3) in [0, 1]."""
        raise NotImplementedError

    def image_grid(self, row: int = 10, col: int = 10) -> np.ndarray:
        """``row`` x ``col`` images side by side, each picked with ``np.random.randint(0, len(data) - 1)``
        (the book's draw, which never picks the last image), row by row."""
        first = self._image(0)
        H, W = first.shape[:2]
        grid = np.zeros((H * row, W * col) + first.shape[2:])
        for r in range(row):
            for c in range(col):
                grid[r * H:(r + 1) * H, c * W:(c + 1) * W] = self._image(np.random.randint(0, len(self.data) - 1))
        return grid

    def show(self, row: int = 10, col: int = 10) -> None:
        """Show :meth:`image_grid` with matplotlib (``plt.show()``)."""
        import matplotlib.pyplot as plt

        plt.imshow(self.image_grid(row, col), cmap=self.cmap, interpolation="nearest")
        plt.axis("off")
        plt.show()


class MNIST(_ImageGrid, _datasets.MNIST):
    """MNIST (dezero-datasets'), with the book's ``show(row=10, col=10)``."""

    cmap = "gray"

    def _image(self, index: int) -> np.ndarray:
        return self.data[index].reshape(28, 28)


class CIFAR10(_ImageGrid, _datasets.CIFAR10):
    """CIFAR-10 (dezero-datasets'), with the book's ``show(row=10, col=10)``."""

    def _image(self, index: int) -> np.ndarray:
        return self.data[index].reshape(3, 32, 32).transpose(1, 2, 0) / 255


class CIFAR100(_ImageGrid, _datasets.CIFAR100):
    """CIFAR-100 (dezero-datasets'), with the book's ``show(row=10, col=10)``."""

    _image = CIFAR10._image


class ImageNet:
    """Only what the book uses of ImageNet: its class names, for VGG16's and ResNet's predictions."""

    def __init__(self) -> None:
        raise NotImplementedError("ImageNet's images are not available through dezero (as in the book); "
                                  "ImageNet.labels() gives the class names")

    @staticmethod
    def labels() -> dict[int, str]:
        """Class index -> name of ImageNet's 1000 classes (downloaded once into ``dezero.utils.cache_dir``)."""
        from dezero.utils import get_file

        return _read_labels(get_file(IMAGENET_LABELS_URL, validate=_read_labels))


def _read_labels(path: str) -> dict[int, str]:
    """The dict literal of ImageNet's class names in ``path`` (the book eval()s it; literals only here)."""
    with open(path, encoding="utf-8") as f:
        labels = ast.literal_eval(f.read())
    if not isinstance(labels, dict):
        raise ValueError(f"expected a dict of class names, found a {type(labels).__name__}")
    return labels


# -- the book's cache of prepared arrays -----------------------------------------------------------
def _cache_path(filename: str, train: bool) -> str:
    from dezero import utils  # (read at the call: a reader may point cache_dir elsewhere)

    name = filename[filename.rfind("/") + 1:]
    return os.path.join(utils.cache_dir, name + (".train.npz" if train else ".test.npz"))


def load_cache_npz(filename: str, train: bool = False) -> tuple[Any, Any]:
    """``(data, label)`` saved by :func:`save_cache_npz` for ``filename`` (a URL or a name), or
    ``(None, None)`` when there is none."""
    path = _cache_path(filename, train)
    if not os.path.exists(path):
        return None, None
    try:
        with using_backend("numpy"):  # (the book's arrays are numpy's)
            loaded = load_arrays(path)
        return loaded["data"], loaded["label"]
    except (WeightsFileError, KeyError) as exc:  # a damaged cache: prepare the data again
        aside = path + ".damaged"
        os.replace(path, aside)
        warnings.warn(f"{path} cannot be read ({type(exc).__name__}: {exc}); moved it to {aside}, the data "
                      f"will be prepared again", RuntimeWarning, stacklevel=2)
        return None, None


def save_cache_npz(data: Any, label: Any, filename: str, train: bool = False) -> str | None:
    """Save ``data`` and ``label`` as ``<cache_dir>/<name>.train.npz`` (or ``.test.npz``), ``name``
    being the last part of ``filename``, for :func:`load_cache_npz`; returns the path, or None when the
    file already exists (it is kept). Written atomically: an interrupted save leaves no file."""
    path = _cache_path(filename, train)
    if os.path.exists(path):
        return None
    os.makedirs(os.path.dirname(path), exist_ok=True)
    atomic_write(path, lambda f: np.savez_compressed(f, data=data, label=label))
    return path


__getattr__, __dir__ = lazy_module_attributes("dezero.datasets", __all__)
