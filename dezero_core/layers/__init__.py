"""Layers: parameters and sub-layers with a forward (``dezero_core.layers.Linear``...).

The built-ins are listed once, as dezero-core's ``dezero.layers`` entry points; every name, built-in or
a plugin's, is looked up there on first access, so the attribute and the registry agree (see
:mod:`dezero_core.discovery.lazy`). The imports under ``TYPE_CHECKING`` are for IDEs and type checkers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.layers.layer import StateDictError

if TYPE_CHECKING:
    from dezero_core.layers.container import Sequential
    from dezero_core.layers.conv import Conv2d, Deconv2d
    from dezero_core.layers.dropout import Dropout
    from dezero_core.layers.embedding import EmbedID
    from dezero_core.layers.layer import Layer
    from dezero_core.layers.linear import Linear
    from dezero_core.layers.normalization import BatchNorm, LayerNorm
    from dezero_core.layers.recurrent import GRU, LSTM, RNN

__getattr__, __dir__ = lazy_module_attributes("dezero.layers", ["StateDictError"], namespace=globals())
