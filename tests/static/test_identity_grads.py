"""The pass ``elide_identity_grads``: backward nodes that hand the incoming gradient on unchanged."""
from __future__ import annotations

import numpy as np

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.static.passes.identity_grads import elide_identity_grads
from pass_harness import clone


def ops(graph) -> list[str]:
    return [n.op for n in graph.nodes]


def test_additions_of_same_shaped_operands_lose_their_backward_nodes_and_keep_their_gradients() -> None:
    x = dz.symbol("x", (3, 4), "float32")
    w = dz.symbol("w", (3, 4), "float32")
    loss = F.sum(F.sin(x + w)) + F.sum((x * w) + 2.0) + F.sum(F.exp(w))
    grads = dz.grad(loss, [x, w])
    graph = elide_identity_grads(clone(dz.compile(grads, passes=()).graph))
    assert "backward:Add" not in ops(graph) and "backward:AddScalar" not in ops(graph)
    rng = np.random.default_rng(0)
    xv, wv = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(2))
    got = dz.compile(grads, passes=["elide_identity_grads"])(x=xv, w=wv)
    for a, b in zip(got, dz.compile(grads, passes=())(x=xv, w=wv)):
        np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_allclose(got[0].data, np.cos(xv + wv) + wv, rtol=1e-6)


def test_an_addition_that_broadcasts_keeps_its_backward_node() -> None:
    x = dz.symbol("x", (3, 4), "float64")
    b = dz.symbol("b", (4,), "float64")
    gb = dz.grad(F.sum((x + b) * x), b)
    f = dz.compile(gb, passes=["elide_identity_grads"])
    assert "backward:Add" in ops(f.graph)
    xv = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(f(x=xv, b=np.zeros(4)).data, xv.sum(axis=0))


def test_the_default_pipeline_still_fuses_a_product_and_its_sum_with_their_backwards() -> None:
    a, b, c = (dz.symbol(n, (5,), "float32") for n in "abc")
    f = dz.compile(dz.grad(F.sum(F.tanh(a * b + c)), [a, b, c]))
    assert "MulAdd" in ops(f.graph) and "backward:MulAdd" in ops(f.graph)
