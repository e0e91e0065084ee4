"""The book's ``dezero.layers`` (``import dezero.layers as L``): dezero_core's layers.

``Layer`` holds its parameters by attribute name and walks them in name order (the book uses a
set, whose order changes between runs); weight files name parameters ``l1/W`` as the book's do.
``Linear`` has ``W`` of shape ``(in_size, out_size)``; ``RNN``'s hidden-to-hidden weight is sized by
the hidden size (the book sizes it by the input size, which breaks when the two differ). Layers the
book does not have (``Dropout``, ``LayerNorm``, ``GRU``, ``Sequential``, plugins' layers) are found
in the ``dezero.layers`` entry-point group on first access.
"""
from __future__ import annotations

from dezero_core.discovery.lazy import lazy_module_attributes
from dezero_core.layers import (
    LSTM, RNN, BatchNorm, Conv2d, Deconv2d, EmbedID, Layer, Linear, StateDictError,
)

__all__ = ["BatchNorm", "Conv2d", "Deconv2d", "EmbedID", "LSTM", "Layer", "Linear", "RNN", "StateDictError"]

__getattr__, __dir__ = lazy_module_attributes("dezero.layers", __all__)
