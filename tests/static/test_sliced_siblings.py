"""The pass ``merge_sliced_siblings``: one elementwise call over adjacent slices of one value."""
from __future__ import annotations

import numpy as np

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.static.passes.sliced_siblings import merge_sliced_siblings
from pass_harness import clone


def ops(graph) -> list[str]:
    return [n.op for n in graph.nodes]


def gates(a):
    """An LSTM cell's gates from pre-activations ``a`` (batch, 4 * 5): three sigmoids, one tanh."""
    f, i, o = (F.sigmoid(a[:, 5 * k:5 * (k + 1)]) for k in range(3))
    u = F.tanh(a[:, 15:20])
    return f * i + o * u


def test_three_sigmoids_of_adjacent_column_blocks_become_one_over_their_span() -> None:
    a = dz.symbol("a", (3, 20), "float32")
    graph = merge_sliced_siblings(clone(dz.compile(gates(a), passes=()).graph))
    assert ops(graph).count("Sigmoid") == 1 and ops(graph).count("Tanh") == 1
    sigmoid = graph.find("Sigmoid")[0]
    span = sigmoid.inputs[0].producer
    assert span.fn.key == (slice(None), slice(0, 15), Ellipsis) and sigmoid.outputs[0].shape == (3, 15)
    assert [r.fn.key[1] for r in graph.nodes if r.inputs and r.inputs[0] is sigmoid.outputs[0]] == [
        slice(0, 5), slice(5, 10), slice(10, 15)]


def test_the_merged_cell_and_its_gradient_equal_the_separate_calls_bit_for_bit() -> None:
    a = dz.symbol("a", (3, 20), "float32")
    y = F.sum(gates(a) * gates(a))
    outputs = [gates(a), dz.grad(y, a)]
    x = (np.random.default_rng(0).standard_normal((3, 20)) * 4).astype(np.float32)
    merged = dz.compile(outputs, passes=["merge_sliced_siblings"])
    assert ops(merged.graph).count("Sigmoid") == 3  # one per use of gates(a)
    for got, want in zip(merged(a=x), dz.compile(outputs, passes=())(a=x)):
        np.testing.assert_array_equal(got.data, want.data)
    sig = 1 / (1 + np.exp(-x.astype(np.float64)))
    expected = sig[:, :5] * sig[:, 5:10] + sig[:, 10:15] * np.tanh(x[:, 15:])
    np.testing.assert_allclose(merged(a=x)[0].data, expected, rtol=1e-5)


def test_slices_with_a_gap_of_other_values_or_other_functions_stay_apart() -> None:
    a = dz.symbol("a", (3, 20), "float32")
    b = dz.symbol("b", (3, 20), "float32")
    y = [F.exp(a[:, 0:5]), F.exp(a[:, 6:10]), F.exp(b[:, 10:15]), F.sin(a[:, 10:15]), F.exp(a[1:2, 15:20])]
    graph = merge_sliced_siblings(clone(dz.compile(y, passes=()).graph))
    assert ops(graph).count("Exp") == 4 and ops(graph).count("Sin") == 1


def test_slices_along_the_first_axis_merge_too() -> None:
    a = dz.symbol("a", (6, 4), "float64")
    y = F.tanh(a[0:2]) + F.tanh(a[2:4])
    f = dz.compile(y, passes=["merge_sliced_siblings"])
    assert ops(f.graph).count("Tanh") == 1
    x = np.linspace(-2, 2, 24).reshape(6, 4)
    np.testing.assert_array_equal(f(a=x).data, np.tanh(x[0:2]) + np.tanh(x[2:4]))


def test_after_the_slice_gradients_are_tiled_the_backward_nodes_merge_too() -> None:
    a = dz.symbol("a", (3, 20), "float32")
    y = gates(a)
    g = dz.grad(F.sum(y * y), a)
    f = dz.compile(g, passes=["accumulate_slice_grads", "merge_sliced_siblings"])
    assert ops(f.graph).count("backward:Sigmoid") == 1  # of 3 before
    tiled, = f.graph.find("TiledGrad")
    assert len(tiled.inputs) == 2  # the sigmoids' gradient (3, 15) and the tanh's (3, 5)
    x = (np.random.default_rng(2).standard_normal((3, 20)) * 3).astype(np.float32)
    x[0, :3] = -0.0  # zeros of either sign in the incoming gradients are carried as they are
    np.testing.assert_array_equal(f(a=x).data, dz.compile(g, passes=())(a=x).data)
    assert np.array_equal(np.signbit(f(a=x).data), np.signbit(dz.compile(g, passes=())(a=x).data))
