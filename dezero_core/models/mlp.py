"""``MLP``: fully connected layers with an activation between them."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from dezero_core import functions as F
from dezero_core.graph.variable import Variable
from dezero_core.layers.linear import Linear
from dezero_core.models.model import Model


class MLP(Model):
    """``Linear(fc_output_sizes[0])``, activation, ..., ``Linear(fc_output_sizes[-1])`` (no final activation).

    The activation defaults to the book's sigmoid; pass ``activation=F.relu`` for the usual modern
    choice. Layers are ``l0``, ``l1``, ...; ``in_size`` creates ``l0``'s weights at once, otherwise on
    the first call (see :class:`~dezero_core.layers.Linear`).
    """

    def __init__(self, fc_output_sizes: Sequence[int], activation: Callable[[Any], Variable] | None = None,
                 in_size: int | None = None, dtype: Any = None) -> None:
        super().__init__()
        self.activation = F.sigmoid if activation is None else activation
        self.layers: list[Linear] = []
        for i, out_size in enumerate(fc_output_sizes):
            layer = Linear(out_size, in_size=in_size, dtype=dtype)
            setattr(self, f"l{i}", layer)
            self.layers.append(layer)
            in_size = out_size if in_size is not None else None

    def forward(self, x: Any) -> Variable:
        """The network's output (pre-activation scores) for the batch ``x``."""
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)
