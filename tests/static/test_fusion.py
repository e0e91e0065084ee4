"""The fusion passes, each alone: IR in, IR out; values and gradients equal before and after.

Graphs are built by hand (``pass_harness.Builder``: real Functions on example arrays, backward
nodes derived as the IR documents) and run by the harness's reference interpreter before and after
the pass. Gradients of the unfused graph are also checked against numerical differences once, so
"equal before and after" compares with something known right.
"""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core.functions.activations import ReLU
from dezero_core.functions.affine import Linear
from dezero_core.functions.arithmetic import Add, AddScalar, Mul, MulScalar
from dezero_core.functions.elementwise import Exp, Sin, Tanh
from dezero_core.functions.linalg import MatMul
from dezero_core.functions.reductions import Sum
from dezero_core.static.passes import fused_ops
from dezero_core.testing.harness import numerical_gradients
from dezero_core.static.passes.fusion import fuse_algebraic, fuse_elementwise
from dezero_numpy import fusion as numpy_fusion
from pass_harness import Builder, clone, interpret

RNG = np.random.default_rng(0)


def arr(*shape: int, dtype: str = "float64") -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def ops(graph) -> list[str]:
    return [n.op for n in graph.nodes]


# -- a * b + c ----------------------------------------------------------------------------------
def mul_add_graph(feeds: dict, c_first: bool = False):
    b = Builder()
    a_, b_, c_ = (b.input(n, feeds[n], requires_grad=True) for n in "abc")
    t = b.call(Mul(), a_, b_)
    y = b.call(Add(), *((c_, t) if c_first else (t, c_)))
    loss = b.call(Sum(None, False), b.call(Tanh(), y))
    grads = b.backward(loss)
    return b.finish(loss, grads[a_.id], grads[b_.id], grads[c_.id])


@pytest.mark.parametrize("c_first", [False, True])
def test_mul_add_becomes_one_node_with_the_same_values_and_gradients(c_first):
    feeds = {"a": arr(4, 3), "b": arr(3), "c": arr(4, 3)}  # b broadcast: its gradient is summed
    graph = mul_add_graph(feeds, c_first)
    before = interpret(graph, feeds)
    fused = fuse_algebraic(clone(graph))
    assert ops(fused).count("MulAdd") == 1 and ops(fused).count("backward:MulAdd") == 1
    assert "Mul" not in ops(fused) and "backward:Mul" not in ops(fused) and "backward:Add" not in ops(fused)
    for got, want in zip(interpret(fused, feeds), before):
        np.testing.assert_array_equal(got, want)


def test_the_unfused_reference_gradients_are_right():
    feeds = {"a": arr(2, 3), "b": arr(3), "c": arr(2, 3)}
    _, *grads = interpret(mul_add_graph(feeds), feeds)
    want = numerical_gradients(lambda args: float(np.tanh(args[0] * args[1] + args[2]).sum()),
                               [feeds["a"], feeds["b"], feeds["c"]], [(0,), (1,), (2,)])
    for got, expected in zip(grads, want):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_mul_add_is_not_fused_where_the_product_is_read_elsewhere():
    feeds = {"a": arr(4, 3), "b": arr(4, 3), "c": arr(4, 3)}
    b = Builder()
    a_, b_, c_ = (b.input(n, feeds[n]) for n in "abc")
    t = b.call(Mul(), a_, b_)
    graph = b.finish(b.call(Add(), t, c_), t)  # the product is an output too
    assert ops(fuse_algebraic(clone(graph))) == ["Mul", "Add"]


def test_mul_add_is_not_fused_where_c_broadcasts_the_product():
    feeds = {"a": arr(3), "b": arr(3), "c": arr(4, 3)}
    b = Builder()
    a_, b_, c_ = (b.input(n, feeds[n]) for n in "abc")
    graph = b.finish(b.call(Add(), b.call(Mul(), a_, b_), c_))
    assert ops(fuse_algebraic(clone(graph))) == ["Mul", "Add"]


# -- affine (+ ReLU) ------------------------------------------------------------------------------
def mlp_graph(feeds: dict, use_matmul: bool):
    """x -> relu(x W0 + b0) -> (.) W1 + b1 -> sum of squares... as a loss with gradients of W and b."""
    b = Builder()
    x = b.input("x", feeds["x"])
    w0, b0, w1, b1 = (b.input(n, feeds[n], requires_grad=True) for n in ("W0", "b0", "W1", "b1"))
    if use_matmul:
        h = b.call(Add(), b.call(MatMul(), x, w0), b0)
    else:
        h = b.call(Linear(), x, w0, b0)
    h = b.call(ReLU(), h)
    z = b.call(Linear(), h, w1, b1)
    loss = b.call(Sum(None, False), b.call(Mul(), z, z))
    grads = b.backward(loss)
    return b.finish(loss, *(grads[v.id] for v in (w0, b0, w1, b1)))


@pytest.mark.parametrize("use_matmul", [False, True], ids=["linear", "matmul+add"])
def test_affine_relu_fuses_forward_and_backward(use_matmul):
    feeds = {"x": arr(5, 4), "W0": arr(4, 6), "b0": arr(6), "W1": arr(6, 3), "b1": arr(3)}
    graph = mlp_graph(feeds, use_matmul)
    before = interpret(graph, feeds)
    fused = fuse_algebraic(clone(graph))
    assert [n.op for n in fused.nodes if n.kind == "call"][:1] == ["Affine"]
    first = fused.nodes[0]
    assert first.fn.activation == "relu" and "ReLU" not in ops(fused) and "backward:ReLU" not in ops(fused)
    after = interpret(fused, feeds)
    for got, want in zip(after, before):
        if use_matmul:  # MatMul's and Add's backward sum the bias gradient as sum_to does
            np.testing.assert_allclose(got, want, rtol=1e-12)
        else:
            np.testing.assert_array_equal(got, want)


def test_affine_relu_writes_into_out_where_given():
    x, W, bias = arr(5, 4, dtype="float32"), arr(4, 6, dtype="float32"), arr(6, dtype="float32")
    out = np.full((5, 6), np.nan, np.float32)
    from pass_harness import XP

    y = fused_ops.Affine("relu").forward(XP, x, W, bias, out=out)
    assert y is out
    np.testing.assert_array_equal(out, np.maximum(x @ W + bias, 0))


def test_affine_refuses_an_unknown_activation():
    with pytest.raises(ValueError, match="activation must be None or 'relu', not 'gelu'"):
        fused_ops.Affine("gelu")


# -- elementwise chains ----------------------------------------------------------------------------
def chain_graph(x: np.ndarray):
    """8 elementwise steps and a sum, forward only (an inference graph)."""
    b = Builder()
    v = b.input("x", x)
    for i in range(8):
        v = b.call([Sin(), MulScalar(1.0001), AddScalar(0.5), Exp(), ReLU(), Tanh(), Mul(), Sin()][i], *(
            (v, v) if i == 6 else (v,)))
    return b.finish(b.call(Sum(None, False), v), v)


@pytest.mark.parametrize("size", [10, 1 << 17], ids=["small: steps one by one", "large: numpy's blocked kernel"])
def test_an_elementwise_chain_becomes_one_node_with_equal_values(size, monkeypatch):
    monkeypatch.setattr(numpy_fusion, "MIN_SIZE", 1 << 16)
    x = arr(size, dtype="float32")
    graph = chain_graph(x)
    before = interpret(graph, {"x": x})
    fused = fuse_elementwise(clone(graph))
    assert ops(fused) == ["FusedElementwise", "Sum"]
    assert fused.nodes[0].attrs["fused"] == ["Sin", "MulScalar", "AddScalar", "Exp", "ReLU", "Tanh", "Mul", "Sin"]
    for got, want in zip(interpret(fused, {"x": x}), before):
        np.testing.assert_array_equal(got, want)
    kernels = list(fused.nodes[0].fn._kernels.values())
    assert isinstance(kernels[0], numpy_fusion.BlockedKernel) == (size >= numpy_fusion.MIN_SIZE)


def test_a_forward_chain_that_backward_nodes_read_keeps_what_they_read():
    feeds = {"a": arr(4, 3), "b": arr(4, 3), "c": arr(4, 3)}
    graph = mul_add_graph(feeds)  # Mul, Add, Tanh, Sum; Tanh's backward reads its output
    before = interpret(graph, feeds)
    fused = fuse_elementwise(clone(graph))
    first = fused.nodes[0]
    assert first.op == "FusedElementwise" and first.attrs["fused"] == ["Mul", "Add", "Tanh"]
    assert len(first.outputs) == 3  # each read by a backward node (Add's and Tanh's, Mul's reads a and b)
    for got, want in zip(interpret(fused, feeds), before):
        np.testing.assert_array_equal(got, want)


def test_backward_nodes_of_elementwise_functions_fuse_bit_for_bit():
    from dezero_core.functions.arithmetic import DivScalar, Neg, RDivScalar, RSubScalar
    from dezero_core.functions.elementwise import Cos, Log, Sqrt

    x0 = RNG.uniform(0.5, 2.0, (5, 4)).astype(np.float32)
    w0 = RNG.uniform(0.5, 2.0, (5, 4)).astype(np.float32)
    b = Builder()
    v, w = b.input("x", x0, requires_grad=True), b.input("w", w0, requires_grad=True)
    for fn in [MulScalar(1.5), Sin(), AddScalar(2.0), Sqrt(), Log(), AddScalar(3.0), Cos(), Exp(), Neg(),
               RSubScalar(4.0), RDivScalar(2.0), DivScalar(3.0), Tanh()]:
        v = b.call(fn, v)
    v = b.call(Mul(), v, w)
    loss = b.call(Sum(None, False), v)
    grads = b.backward(loss)
    graph = b.finish(loss, grads[b.graph.inputs[0].id], grads[w.id])
    before = interpret(graph, {"x": x0, "w": w0})
    fused = fuse_elementwise(clone(graph))
    assert [n.op for n in fused.nodes] == ["FusedElementwise", "Sum", "backward:Sum", "FusedElementwise"]
    assert fused.nodes[-1].attrs["fused"][:2] == ["backward:Mul", "backward:Tanh"]
    for got, want in zip(interpret(fused, {"x": x0, "w": w0}), before):
        np.testing.assert_array_equal(got, want)


def test_a_value_read_twice_in_a_group_stays_inside_it():
    x = arr(6)
    b = Builder()
    v = b.input("x", x)
    e = b.call(Exp(), b.call(Sin(), v))
    graph = b.finish(b.call(Add(), b.call(Tanh(), e), e))  # e feeds Tanh and Add
    fused = fuse_elementwise(clone(graph))
    assert ops(fused) == ["FusedElementwise"] and len(fused.nodes[0].outputs) == 1
    assert fused.nodes[0].attrs["fused"] == ["Sin", "Exp", "Tanh", "Add"]
    np.testing.assert_array_equal(interpret(fused, {"x": x})[0], interpret(graph, {"x": x})[0])


def test_a_product_added_to_itself_stays_unfused():
    feeds = {"a": arr(4, 3), "b": arr(4, 3)}
    b = Builder()
    a_, b_ = (b.input(n, feeds[n]) for n in "ab")
    t = b.call(Mul(), a_, b_)
    graph = b.finish(b.call(Add(), t, t))
    fused = fuse_algebraic(clone(graph))
    assert ops(fused) == ["Mul", "Add"]
    np.testing.assert_array_equal(interpret(fused, feeds)[0], interpret(graph, feeds)[0])


def test_a_chain_never_spans_another_kind_of_node():
    # the sum of two contributions computed apart (as a backward pass interleaves them) stays where
    # it is: fused at its end it would run later and keep both contributions alive until then
    x = arr(6)
    b = Builder()
    v = b.input("x", x)
    first = b.call(Sin(), v)
    total = b.call(Sum(None, False), v)  # another kind of node between the two elementwise calls
    graph = b.finish(b.call(Add(), first, v), total)
    assert ops(fuse_elementwise(clone(graph))) == ["Sin", "Sum", "Add"]
