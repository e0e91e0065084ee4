"""``EmbedID``: a table of vectors looked up by integer id."""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.graph.variable import Parameter, Variable
from dezero_core.layers import initializers as init
from dezero_core.layers.checks import positive_size
from dezero_core.layers.layer import Layer


class EmbedID(Layer):
    """Row ``i`` of ``W`` (shape ``(in_size, out_size)``, drawn from N(0, 1)) for every id ``i`` of ``x``.

    ``W`` is created at once on the current backend, in ``dtype`` (float32 by default).
    """

    def __init__(self, in_size: int, out_size: int, dtype: Any = None) -> None:
        super().__init__()
        self.in_size = positive_size("EmbedID", "in_size", in_size)
        self.out_size = positive_size("EmbedID", "out_size", out_size)
        backend, dtype = init.creation_target(dtype)
        self.W = Parameter(init.normal(backend, (self.in_size, self.out_size), 1.0, dtype), name="W")

    def forward(self, x: Any) -> Variable:
        """The embedding vectors of the integer ids ``x`` (shape ``x.shape + (out_size,)``)."""
        return F.embed_id(x, self.W)

    def extra_repr(self) -> str:
        return f"in_size={self.in_size}, out_size={self.out_size}"
