"""The basic passes, each alone (IR in, IR out) and together, and the pass registry."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.discovery.errors import UnknownNameError
from dezero_core.static.passes import get_pass, pass_names, run_passes
from dezero_core.static.passes.cse import cse
from dezero_core.static.passes.dce import dce
from dezero_core.static.passes.fold import fold_constants
from dezero_core.static.symbolic_graph import SymbolicFunction


def ops(graph) -> list[str]:
    return [n.op for n in graph.nodes]


def raw(outputs) -> SymbolicFunction:
    """The graph of ``outputs`` with no pass run."""
    return dz.compile(outputs, passes=())


def test_dce_drops_unread_nodes_and_keeps_the_outputs() -> None:
    x = dz.symbol("x", (3,), "float64")
    graph = raw([F.sin(x), F.cos(F.exp(x))]).graph
    graph.outputs = graph.outputs[:1]  # nobody reads cos(exp(x)) any more
    assert ops(graph) == ["Sin", "Exp", "Cos"]
    assert ops(dce(graph)) == ["Sin"]
    graph.verify()


def test_dce_drops_gradients_nobody_reads_and_tells_the_backward_to_skip_them() -> None:
    x = dz.symbol("x", (3,), "float64")
    w = dz.symbol("w", (3,), "float64")
    loss = F.sum(x * w)
    gw, = dz.grad(loss, [w])
    graph = raw(gw).graph
    mul_backward = graph.find("backward:Mul")[0]
    assert mul_backward.attrs["needs_grad"] == (True, True) and len(mul_backward.outputs) == 2
    dce(graph)
    assert mul_backward.attrs["needs_grad"] == (False, True) and len(mul_backward.outputs) == 1
    graph.verify()
    f = dz.compile(gw, passes=["dce"])
    np.testing.assert_array_equal(f(x=np.array([1.0, 2.0, 3.0]), w=np.zeros(3)).data, [1.0, 2.0, 3.0])


def test_cse_merges_equal_computations_and_keeps_random_ones_apart() -> None:
    x = dz.symbol("x", (4,), "float64")
    f = raw([F.exp(x) + F.exp(x), F.dropout(x, 0.5) + F.dropout(x, 0.5)])
    assert ops(f.graph).count("Exp") == 2
    graph = cse(f.graph)
    assert ops(graph).count("Exp") == 1
    assert ops(graph).count("Dropout") == 2
    graph.verify()


def test_cse_keeps_calls_with_different_attributes() -> None:
    x = dz.symbol("x", (4,), "float64")
    graph = cse(raw([x * 2.0, x * 3.0, x * 2.0]).graph)
    assert ops(graph) == ["MulScalar", "MulScalar"]


def test_cse_lets_a_merged_nodes_backward_read_the_kept_forward() -> None:
    # softmax cross-entropy's backward reads the softmax its forward left on the instance
    x = dz.symbol("x", (2, 3), "float64")
    t = dz.symbol("t", (2,), "int64")
    loss = F.softmax_cross_entropy(x, t) + F.softmax_cross_entropy(x, t)
    g = dz.grad(loss, x)
    f = dz.compile(g, passes=["cse", "dce"])
    assert ops(f.graph).count("SoftmaxCrossEntropy") == 1
    xv, tv = np.arange(6.0).reshape(2, 3) / 7, np.array([0, 2])
    ex = dz.Variable(xv)
    (F.softmax_cross_entropy(ex, tv) + F.softmax_cross_entropy(ex, tv)).backward()
    np.testing.assert_array_equal(f(x=xv, t=tv).data, ex.grad.data)


def test_fold_constants_computes_constant_subgraphs_once() -> None:
    x = dz.symbol("x", (2,), "float64")
    c = F.exp(dz.constant(np.array([0.0, 1.0])))
    graph = fold_constants(raw(x * c).graph)
    assert ops(graph) == ["Mul"]
    np.testing.assert_array_equal(graph.consts[-1].source, np.exp([0.0, 1.0]))


def test_fold_constants_never_folds_parameters_or_random_draws() -> None:
    layer = dz.layers.Linear(2, in_size=2)
    c = dz.constant(np.ones((1, 2)))
    graph = fold_constants(raw([layer(c), F.dropout(c, 0.5)]).graph)
    assert ops(graph) == ["Linear", "Dropout"]


def test_all_passes_together_keep_the_results() -> None:
    x = dz.symbol("x", (3,), "float64")
    c = dz.constant(np.array([1.0, 2.0, 3.0]))
    y = F.sum(F.tanh(x) * F.exp(c) + F.tanh(x))
    g = dz.grad(y, x)
    xv = np.array([0.5, -0.1, 2.0])
    unoptimised = dz.compile([y, g], passes=())(x=xv)
    optimised = dz.compile([y, g])(x=xv)
    for a, b in zip(unoptimised, optimised):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-15)


def test_a_third_party_pass_from_an_installed_distribution_is_used_by_name() -> None:
    assert "drop_multiply_by_one" in pass_names()
    x = dz.symbol("x", (2,), "float64")
    f = dz.compile(F.exp(x * 1.0), passes=["drop_multiply_by_one"])
    assert ops(f.graph) == ["Exp"]
    np.testing.assert_array_equal(f(x=np.zeros(2)).data, [1.0, 1.0])


def test_a_pass_can_be_a_plain_callable() -> None:
    seen = []
    x = dz.symbol("x", (2,), "float64")
    dz.compile(F.exp(x), passes=[lambda g: seen.append(len(g.nodes)) or g])
    assert seen == [1]


def test_unknown_pass_names_and_bad_passes_are_clear_errors() -> None:
    with pytest.raises(UnknownNameError, match="no pass named 'dcee'.*Did you mean: dce"):
        get_pass("dcee")
    x = dz.symbol("x", (2,), "float64")
    with pytest.raises(TypeError, match="returned NoneType, not a Graph"):
        dz.compile(F.exp(x), passes=[lambda g: None])
    with pytest.raises(TypeError, match=r"write passes=\['dce'\]"):
        run_passes(raw(F.exp(x)).graph, "dce")
