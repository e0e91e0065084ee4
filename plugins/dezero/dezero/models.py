"""The book's ``dezero.models``: ``Model``, ``Sequential``, ``MLP``, ``VGG16`` and the ResNets.

``MLP`` and ``VGG16`` are dezero_core's built of the book's layers (``dezero.layers``), so their
initial weights come from numpy's global generator as in the book; ``MLP``'s activation defaults to
sigmoid. ``VGG16``'s attributes are Chainer's (``conv1_1`` ... ``fc8``), so the book's weight file
loads into it. The ResNets are dezero_core's (their initial weights come from dezero_core's
generator: they are meant for the pretrained weights). ``Sequential`` is dezero_core's as the
book's ``Model`` (so it has ``plot``), with its steps in ``layers``.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from dezero_core import functions as _F
from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.graph.variable import Variable
from dezero_core.layers import Sequential as _Sequential
from dezero_core.models import MLP as _MLP
from dezero_core.models import VGG16 as _VGG16
from dezero_core.models import Model as _Model
from dezero_core.models import ResNet, ResNet50, ResNet101, ResNet152
from dezero_core.serialization import atomic_write
from dezero_core.models.pretrained import WEIGHTS, load_pretrained
from dezero_core.models.resnet import BottleneckA, BottleneckB, BuildingBlock
from dezero_core.models.vgg import BLOCKS

from dezero import cuda
from dezero import functions as F
from dezero import layers as L

__all__ = [
    "BottleneckA", "BottleneckB", "BuildingBlock", "MLP", "Model", "ResNet", "ResNet101", "ResNet152",
    "ResNet50", "Sequential", "VGG16",
]


class Model(_Model):
    """The book's ``Model``: dezero_core's, with ``plot`` and the book's weight files.

    ``save_weights(path)`` writes numpy's npz format, as the book's does (``np.load`` reads it), and
    appends ``.npz`` to a path without it, as numpy's ``savez`` does; the file is written atomically.
    ``load_weights`` reads those files and the book's own.
    """

    def save_weights(self, path: "str | os.PathLike[str]") -> None:
        """Save the parameters to the npz file ``path`` (``.npz`` appended when missing)."""
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        arrays = {name: cuda.as_numpy(array) for name, array in self.state_dict().items()}
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


class Sequential(Model, _Sequential):
    """``Sequential(L.Linear(10), F.relu, L.Linear(1))``: layers and functions applied in turn.

    dezero_core's ``Sequential`` as the book's ``Model``; the steps are also ``layers``.
    """

    @property
    def layers(self) -> list[Callable[..., Any]]:
        """The steps, in order (the book's name)."""
        return self.steps


class MLP(Model, _MLP):
    """``MLP((10, 3))``: ``l0`` = ``L.Linear(10)``, the activation, ``l1`` = ``L.Linear(3)`` (the book's
    layers, their weights drawn from numpy's global generator at the first call)."""

    def __init__(self, fc_output_sizes: Sequence[int], activation: Callable[[Any], Variable] = F.sigmoid,
                 in_size: int | None = None, dtype: Any = np.float32) -> None:
        # (not dezero_core's __init__, which builds dezero_core's Linear)
        Model.__init__(self)
        self.activation = activation
        self.layers: list[L.Linear] = []
        for i, out_size in enumerate(fc_output_sizes):
            layer = L.Linear(out_size, in_size=in_size, dtype=dtype)
            setattr(self, f"l{i}", layer)
            self.layers.append(layer)
            in_size = out_size if in_size is not None else None


class VGG16(Model, _VGG16):
    """VGG16 of the book's layers: ``conv1_1`` ... ``conv5_3`` (3x3, pad 1) and ``fc6``, ``fc7``, ``fc8``.

    ``pretrained=True`` loads the book's weights (downloaded once into dezero_core's cache).
    """

    WEIGHTS_PATH = WEIGHTS["VGG16"].url

    def __init__(self, pretrained: bool = False) -> None:
        # (not dezero_core's __init__, which builds dezero_core's layers)
        Model.__init__(self)
        for b, (n, channels) in enumerate(BLOCKS, start=1):
            for i in range(1, n + 1):
                setattr(self, f"conv{b}_{i}", L.Conv2d(channels, kernel_size=3, stride=1, pad=1))
        self.fc6 = L.Linear(4096)
        self.fc7 = L.Linear(4096)
        self.fc8 = L.Linear(1000)
        if pretrained:
            load_pretrained(self, "VGG16")


__getattr__, __dir__ = lazy_module_attributes("dezero.models", __all__)
