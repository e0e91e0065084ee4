"""Models: top-level networks (``dezero_core.models.MLP``...).

The built-ins are listed once, as dezero-core's ``dezero.models`` entry points; every name, built-in or
a plugin's, is looked up there on first access, so the attribute and the registry agree (see
:mod:`dezero_core.discovery.lazy`). The imports under ``TYPE_CHECKING`` are for IDEs and type checkers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero_core.discovery.lazy import lazy_module_attributes

if TYPE_CHECKING:
    from dezero_core.models.mlp import MLP
    from dezero_core.models.model import Model
    from dezero_core.models.resnet import ResNet, ResNet50, ResNet101, ResNet152
    from dezero_core.models.vgg import VGG16

__getattr__, __dir__ = lazy_module_attributes("dezero.models", [], namespace=globals())
