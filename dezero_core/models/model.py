"""``Model``: a Layer that can also draw the graph of its forward pass."""
from __future__ import annotations

from typing import Any

from dezero_core.graphviz import plot_dot_graph
from dezero_core.layers.layer import Layer


class Model(Layer):
    """The top-level Layer of a network (the book's ``Model``)."""

    def plot(self, *inputs: Any, to_file: str = "model.png") -> str:
        """Run one forward pass on ``inputs`` and draw its graph into ``to_file`` (see :mod:`dezero_core.graphviz`)."""
        y = self.forward(*inputs)
        return plot_dot_graph(y, verbose=True, to_file=to_file)
