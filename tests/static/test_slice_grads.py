"""The pass ``accumulate_slice_grads``: slices' gradients added in place into one array."""
from __future__ import annotations

import numpy as np

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
    """d/da of a loss over four column blocks of ``a`` (3, 8), each used differently."""
    s = [a[:, 2 * k:2 * k + 2] for k in range(4)]
    loss = F.sum(s[0] * 1.5) + F.sum(s[1] * s[1]) + F.sum(F.sin(s[2])) + F.sum(s[3] * s[3] * s[3])
    return dz.grad(loss, a)


def test_four_slices_of_one_value_get_one_array_of_zeros_and_in_place_slice_additions() -> None:
    a = dz.symbol("a", (3, 8), "float32")
    g = gate_gradient(a)
    graph = accumulate_slice_grads(clone(dz.compile(g, passes=()).graph))
    assert ops(graph).count("backward:GetItem") == 0
    assert ops(graph).count("SliceGrad") == 1 and ops(graph).count("SliceAccumulate") == 3
    assert not [n for n in graph.find("Add") if n.outputs[0].shape == (3, 8)]  # the gradient's sums are gone


def test_the_accumulated_gradient_equals_the_scatters_bit_for_bit_and_the_derivative() -> None:
    a = dz.symbol("a", (3, 8), "float32")
    g = gate_gradient(a)
    x = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    fused = dz.compile(g, passes=["accumulate_slice_grads"])(a=x).data
    np.testing.assert_array_equal(fused, dz.compile(g, passes=())(a=x).data)
    s = [x[:, 2 * k:2 * k + 2] for k in range(4)]
    expected = np.concatenate([np.full_like(s[0], 1.5), 2 * s[1], np.cos(s[2]), 3 * s[3] * s[3]], axis=1)
    np.testing.assert_allclose(fused, expected, rtol=1e-6)


def test_a_slice_gradient_of_minus_zero_is_plus_zero_as_the_scatter_into_zeros_gives() -> None:
    a = dz.symbol("a", (2, 4), "float32")
    g = dz.grad(F.sum(a[:, 1:3] * a[:, 1:3]), a)  # 2 a: -0.0 + -0.0 on the slice, +0.0 + -0.0 after the scatter
    f = dz.compile(g, passes=["accumulate_slice_grads"])
    assert ops(f.graph).count("SliceGrad") == 1
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
