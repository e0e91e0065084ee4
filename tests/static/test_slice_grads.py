"""The pass ``accumulate_slice_grads``: slices' gradients added in place into one array."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.functions.arithmetic import Add
from dezero_core.functions.indexing import GetItem
from dezero_core.functions.reductions import Sum
from dezero_core.static.passes.slice_grads import accumulate_slice_grads, is_basic_key
from pass_harness import Builder, clone, interpret


def ops(graph) -> list[str]:
    return [n.op for n in graph.nodes]


def gate_gradient(a):
    """d/da of a loss over four blocks of two columns of ``a`` (3, n), each used differently: they
    tile ``a`` for n = 8 and leave its last columns alone for more."""
    s = [a[:, 2 * k:2 * k + 2] for k in range(4)]
    loss = F.sum(s[0] * 1.5) + F.sum(s[1] * s[1]) + F.sum(F.sin(s[2])) + F.sum(s[3] * s[3] * s[3])
    return dz.grad(loss, a)


def expected_gate_gradient(x: np.ndarray) -> np.ndarray:
    s = [x[:, 2 * k:2 * k + 2] for k in range(4)]
    blocks = [np.full_like(s[0], 1.5), 2 * s[1], np.cos(s[2]), 3 * s[3] * s[3], np.zeros_like(x[:, 8:])]
    return np.concatenate(blocks, axis=1)


def test_four_slices_of_one_value_get_one_array_of_zeros_and_in_place_slice_additions() -> None:
    a = dz.symbol("a", (3, 9), "float32")
    graph = accumulate_slice_grads(clone(dz.compile(gate_gradient(a), passes=()).graph))
    assert ops(graph).count("backward:GetItem") == 0
    assert ops(graph).count("SliceGrad") == 1 and ops(graph).count("SliceAccumulate") == 3
    assert not [n for n in graph.find("Add") if n.outputs[0].shape == (3, 9)]  # the gradient's sums are gone


def test_slices_that_tile_the_value_get_their_gradients_concatenated() -> None:
    a = dz.symbol("a", (3, 8), "float32")
    graph = accumulate_slice_grads(clone(dz.compile(gate_gradient(a), passes=()).graph))
    assert [op for op in ops(graph) if op.startswith(("Slice", "Tiled"))] == ["TiledGrad"]
    tiled = graph.find("TiledGrad")[0]
    assert tiled.fn.axis == 1 and len(tiled.inputs) == 4


@pytest.mark.parametrize("width", [8, 9])
def test_the_accumulated_gradient_equals_the_scatters_bit_for_bit_and_the_derivative(width: int) -> None:
    a = dz.symbol("a", (3, width), "float32")
    g = gate_gradient(a)
    x = np.random.default_rng(0).standard_normal((3, width)).astype(np.float32)
    fused = dz.compile(g, passes=["accumulate_slice_grads"])(a=x).data
    np.testing.assert_array_equal(fused, dz.compile(g, passes=())(a=x).data)
    np.testing.assert_allclose(fused, expected_gate_gradient(x), rtol=1e-6)


@pytest.mark.parametrize("halves", [False, True])
def test_a_slice_gradient_of_minus_zero_is_plus_zero_as_the_scatter_into_zeros_gives(halves: bool) -> None:
    # 2 a on a slice: -0.0 + -0.0 there, and +0.0 + -0.0 = +0.0 after the scatter into zeros
    a = dz.symbol("a", (2, 4), "float32")
    parts = [a[:, 1:3]] if not halves else [a[:, :2], a[:, 2:]]
    loss = sum(F.sum(p * p) for p in parts)
    f = dz.compile(dz.grad(loss, a), passes=["accumulate_slice_grads"])
    assert ops(f.graph).count("TiledGrad" if halves else "SliceGrad") == 1
    grad = f(a=np.full((2, 4), -0.0, np.float32)).data
    np.testing.assert_array_equal(grad, 0.0)
    assert not np.signbit(grad).any()


def test_index_array_keys_keep_the_scatter_that_adds_repeated_indices() -> None:
    a = dz.symbol("a", (4,), "float64")
    g = dz.grad(F.sum(F.get_item(a, np.array([0, 0, 2]))) + F.sum(a[1:3]), a)
    f = dz.compile(g, passes=["accumulate_slice_grads"])
    assert ops(f.graph).count("backward:GetItem") == 1 and ops(f.graph).count("SliceGrad") == 1
    np.testing.assert_array_equal(f(a=np.zeros(4)).data, [2.0, 1.0, 2.0, 0.0])


def test_a_slice_gradient_read_elsewhere_is_never_written_over() -> None:
    b = Builder()
    a = b.input("a", np.arange(12.0).reshape(3, 4), requires_grad=True)
    left = b.call(GetItem((slice(None), slice(0, 2), Ellipsis)), a)
    right = b.call(GetItem((slice(None), slice(2, 4), Ellipsis)), a)
    loss = b.call(Sum(None, False), b.call(Add(), left, right))
    grads = b.backward(loss)
    total = grads[a.id]
    first = total.producer.inputs[0]  # one slice's gradient, made a graph output too
    graph = b.finish(total, first)
    expected = interpret(clone(graph), {"a": b.example[a.id]})
    accumulate_slice_grads(graph)
    assert ops(graph).count("SliceGrad") == 2 and ops(graph).count("Add") == 2  # the sum is left an Add
    for got, want in zip(interpret(graph, {"a": b.example[a.id]}), expected):
        np.testing.assert_array_equal(got, want)


def test_basic_keys_are_integers_slices_ellipsis_and_none() -> None:
    assert is_basic_key((slice(None), slice(1, 3), Ellipsis))
    assert is_basic_key((0, None, slice(None, None, -1)))
    assert not is_basic_key((np.array([0, 1]),))
    assert not is_basic_key((True,))  # a boolean index is a mask
    assert not is_basic_key((slice(np.array(1), 2),))


def test_a_graph_with_slice_gradients_saves_and_loads(tmp_path) -> None:
    a = dz.symbol("a", (3, 8), "float32")
    f = dz.compile(gate_gradient(a), passes=["accumulate_slice_grads"])
    f.save(tmp_path / "g.dzg")
    g = dz.load_compiled(tmp_path / "g.dzg")
    assert str(g.graph) == str(f.graph)
    x = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)
    np.testing.assert_array_equal(g(a=x).data, f(a=x).data)
