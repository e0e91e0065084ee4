"""The book's ``dezero.datasets``: ``Dataset``, ``get_spiral`` and the book's datasets.

``Spiral``, ``SinCurve``, ``MNIST``, ``CIFAR10``, ``CIFAR100`` and ``Shakespear`` (the book's
spelling of ``Shakespeare``) come from the ``dezero-datasets`` distribution; other registered
datasets (``FashionMNIST``, ``Digits``, plugins') are found in the ``dezero.datasets`` entry-point
group on first access. ``Dataset`` is the book's base class: a subclass fills ``self.data`` and
``self.label`` in ``prepare()``.
"""
from __future__ import annotations

import ast
from abc import ABCMeta
from typing import Any

import numpy as np

from dezero_core.data import Dataset as _CoreDataset
from dezero_core.data.transforms import Transform
from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_datasets import CIFAR10, CIFAR100, MNIST, Shakespeare, SinCurve, Spiral
from dezero_datasets.toy import spiral

__all__ = [
    "CIFAR10", "CIFAR100", "Dataset", "ImageNet", "MNIST", "Shakespear", "Shakespeare", "SinCurve", "Spiral",
    "get_spiral",
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
    target_transform(label[i]))``. dezero_core's datasets count as instances of it too.
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
        if self.data is None:
            raise ValueError(f"{type(self).__name__}.prepare() left self.data as None: set self.data "
                             f"(and self.label) to the samples there")
        super().__init__(self.data, self.label, transform=transform, target_transform=target_transform)

    def prepare(self) -> None:
        """Set ``self.data`` and ``self.label`` (a subclass's job; ``self.train`` says which split)."""


class ImageNet:
    """Only what the book uses of ImageNet: its class names, for VGG16's and ResNet's predictions."""

    def __init__(self) -> None:
        raise NotImplementedError("ImageNet's images are not available through dezero (as in the book); "
                                  "ImageNet.labels() gives the class names")

    @staticmethod
    def labels() -> dict[int, str]:
        """Class index -> name of ImageNet's 1000 classes (downloaded once into ``dezero.utils.cache_dir``)."""
        from dezero.utils import get_file

        with open(get_file(IMAGENET_LABELS_URL), encoding="utf-8") as f:
            return ast.literal_eval(f.read())  # a dict literal (the book eval()s it)


def get_spiral(train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The book's spiral: ``x`` (300, 2) float32 and labels ``t`` (300,) int64, the book's numbers
    (seeded 1984 for training, 2020 for test, without touching numpy's global generator)."""
    return spiral(train)


__getattr__, __dir__ = lazy_module_attributes("dezero.datasets", __all__)
