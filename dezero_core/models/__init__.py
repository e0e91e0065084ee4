"""Models: top-level networks. Built-ins are plain attributes; plugin models are looked up by name in
the ``dezero.models`` entry-point group on first access."""
from __future__ import annotations

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.models.mlp import MLP
from dezero_core.models.model import Model
from dezero_core.models.resnet import ResNet, ResNet50, ResNet101, ResNet152
from dezero_core.models.vgg import VGG16

__all__ = ["MLP", "Model", "ResNet", "ResNet101", "ResNet152", "ResNet50", "VGG16"]

__getattr__, __dir__ = lazy_module_attributes("dezero.models", __all__)
