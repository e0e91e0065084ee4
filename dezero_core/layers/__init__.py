"""Layers: parameters and sub-layers with a forward. Built-ins are plain attributes; plugin layers
are looked up by name in the ``dezero.layers`` entry-point group on first access."""
from __future__ import annotations

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.layers.container import Sequential
from dezero_core.layers.conv import Conv2d, Deconv2d
from dezero_core.layers.dropout import Dropout
from dezero_core.layers.embedding import EmbedID
from dezero_core.layers.layer import Layer, StateDictError
from dezero_core.layers.linear import Linear
from dezero_core.layers.normalization import BatchNorm, LayerNorm
from dezero_core.layers.recurrent import GRU, LSTM, RNN

__all__ = [
    "BatchNorm", "Conv2d", "Deconv2d", "Dropout", "EmbedID", "GRU", "LSTM", "Layer", "LayerNorm", "Linear",
    "RNN", "Sequential", "StateDictError",
]

__getattr__, __dir__ = lazy_module_attributes("dezero.layers", __all__)
