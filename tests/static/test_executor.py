"""The executor's generated replay: what it runs, what it refuses, what its source may hold."""
from __future__ import annotations

import weakref

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core import get_backend
from dezero_core.graph.function import Function
from dezero_core.static.executor import Executor


def executor_of(outputs) -> Executor:
    return Executor(dz.compile(outputs).graph, get_backend("numpy"))


def test_the_replay_computes_what_eager_computes_with_frees_and_several_outputs() -> None:
    x = dz.symbol("x", (4,), "float64")
    w = dz.symbol("w", (4,), "float64")
    y = F.sum(F.tanh(x * w) + F.exp(x))
    ex = executor_of([y, *dz.grad(y, [x, w])])
    xv, wv = np.linspace(-1, 1, 4), np.array([0.5, -2.0, 3.0, 1.0])
    value, gx, gw = ex.run([xv, wv])
    ev_x, ev_w = dz.Variable(xv), dz.Variable(wv)
    ey = F.sum(F.tanh(ev_x * ev_w) + F.exp(ev_x))
    ey.backward()
    np.testing.assert_array_equal(value, ey.data)
    np.testing.assert_array_equal(gx, ev_x.grad.data)
    np.testing.assert_array_equal(gw, ev_w.grad.data)


def test_a_wrong_number_of_inputs_is_refused_with_the_inputs_named() -> None:
    x = dz.symbol("x", (2,), "float64")
    ex = executor_of(F.sin(x))
    with pytest.raises(TypeError, match=r"takes 1 input arrays \(%x\), got 2"):
        ex.run([np.zeros(2), np.zeros(2)])


def test_the_source_holds_no_name_from_the_graph_and_values_live_in_one_list() -> None:
    # names in a graph are text a saved file may hold: the generated source must never contain them
    x = dz.symbol("x", (3,), "float32")
    graph = dz.compile([F.exp(x) * 2.0, F.cos(x)]).graph
    graph.inputs[0].name = "x'); import os  #"
    ex = Executor(graph, get_backend("numpy"))
    assert "import os" not in ex.source and "'" not in ex.source
    # values are slots of one list, not locals: a frame of thousands of locals made each call the
    # replay makes allocate frame memory of its own at some call depths
    assert ex._replay.__code__.co_nlocals <= 8
    np.testing.assert_array_equal(ex.run([np.ones(3, np.float32)])[1], np.cos(np.ones(3, np.float32)))


class Watch(Function):
    """Records a weak reference to its input; returns its sum."""

    def __init__(self, refs: list) -> None:
        self.refs = refs

    def forward(self, xp, x):
        self.refs.append(weakref.ref(x))
        return xp.sum(x)


class Freed(Function):
    """Whether the array :class:`Watch` saw last is gone (nothing holds it any more)."""

    def __init__(self, refs: list) -> None:
        self.refs = refs

    def forward(self, xp, a, b):
        return xp.asarray(self.refs[-1]() is None)


def test_a_value_the_memory_plan_frees_is_held_by_nothing_in_the_replay() -> None:
    # Mul's backward returns both gradients in one tuple: once gx is read and freed, no temporary
    # of the replay may still hold it (a freed weight gradient stayed alive until the next backward)
    refs: list = []
    x = dz.symbol("x", (1000,), "float64")
    w = dz.symbol("w", (1000,), "float64")
    gx, gw = dz.grad(F.sum(x * w), [x, w])
    f = dz.compile(Freed(refs)(Watch(refs)(gx), gw), passes=["plan_memory"])
    assert bool(f(x=np.ones(1000), w=np.ones(1000)).data)
