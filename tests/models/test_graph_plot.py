"""The DOT graph of a forward pass (Model.plot and dezero_core.graphviz)."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import graphviz
from dezero_core.models import Model


class Square(Model):
    def __init__(self):
        super().__init__()
        self.w = dz.Parameter(np.ones((2, 2), np.float32), name="w")

    def forward(self, x):
        return dz.functions.matmul(x, self.w) * 2.0


def test_dot_graph_lists_every_function_and_variable():
    x = dz.Variable(np.ones((3, 2), np.float32), name="x")
    y = Square()(x)
    text = graphviz.get_dot_graph(y)
    assert text.startswith("digraph g {")
    assert 'label="MatMul"' in text and 'label="MulScalar"' in text
    assert 'label="x: (3, 2) float32"' in text and 'label="w: (2, 2) float32"' in text


def test_each_variable_appears_once():
    x = dz.Variable(np.ones((3, 2), np.float32), name="x")
    text = graphviz.get_dot_graph(dz.functions.matmul(x, x.T))
    assert text.count('label="x: (3, 2) float32"') == 1


def test_dot_graph_is_not_verbose_on_request():
    x = dz.Variable(np.ones((3, 2), np.float32), name="x")
    assert 'label="x"' in graphviz.get_dot_graph(Square()(x), verbose=False)


def test_plot_to_a_dot_file_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    path = Square().plot(np.ones((3, 2), np.float32), to_file=str(tmp_path / "model.dot"))
    assert open(path).read().startswith("digraph g {")


def test_plot_without_dot_says_how_to_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="install Graphviz.*apt-get install graphviz"):
        Square().plot(np.ones((3, 2), np.float32), to_file=str(tmp_path / "model.png"))


def test_plotting_a_freed_graph_says_to_plot_before_backward():
    x = dz.Variable(np.ones((3, 2), np.float32))
    y = Square()(x).sum()
    y.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="before backward"):
        graphviz.get_dot_graph(y)
