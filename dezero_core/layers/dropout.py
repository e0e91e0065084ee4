"""``Dropout``: the dropout function as a layer, for use in ``Sequential``."""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.backend.protocol import RandomGenerator
from dezero_core.graph.variable import Variable
from dezero_core.layers.layer import Layer


class Dropout(Layer):
    """Zero each element with probability ``dropout_ratio`` in training (scaling the rest by 1/(1-p)).

    In test mode (``dezero_core.test_mode()``) it passes its input through. Masks come from
    ``generator`` when given, else from the calling thread's default generator.
    """

    def __init__(self, dropout_ratio: float = 0.5, generator: RandomGenerator | None = None) -> None:
        super().__init__()
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(f"dropout_ratio must be in [0, 1), got {dropout_ratio}")
        self.dropout_ratio = dropout_ratio
        self.generator = generator

    def forward(self, x: Any) -> Variable:
        """Dropout of ``x``."""
        return F.dropout(x, self.dropout_ratio, self.generator)

    def extra_repr(self) -> str:
        return f"dropout_ratio={self.dropout_ratio}"
