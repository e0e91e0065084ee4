"""The book's ``dezero.models``: ``Model``, ``Sequential``, ``MLP``, ``VGG16`` and the ResNets.

All are dezero_core's except ``Sequential``, which the book makes a ``Model`` (so it has ``plot``)
with its steps in ``layers``. ``MLP``'s activation defaults to sigmoid, as in the book; ``VGG16``'s
attributes are Chainer's (``conv1_1`` ... ``fc8``), so the book's weight file loads into it.
"""
from __future__ import annotations

from typing import Any, Callable

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.layers import Sequential as _Sequential
from dezero_core.models import MLP, VGG16, Model, ResNet, ResNet50, ResNet101, ResNet152
from dezero_core.models.resnet import BottleneckA, BottleneckB, BuildingBlock

__all__ = [
    "BottleneckA", "BottleneckB", "BuildingBlock", "MLP", "Model", "ResNet", "ResNet101", "ResNet152",
    "ResNet50", "Sequential", "VGG16",
]


class Sequential(Model, _Sequential):
    """``Sequential(L.Linear(10), F.relu, L.Linear(1))``: layers and functions applied in turn.

    dezero_core's ``Sequential`` as the book's ``Model``; the steps are also ``layers``.
    """

    @property
    def layers(self) -> list[Callable[..., Any]]:
        """The steps, in order (the book's name)."""
        return self.steps


__getattr__, __dir__ = lazy_module_attributes("dezero.models", __all__)
