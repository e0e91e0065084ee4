"""Memory planning alone (IR in, IR out) and after the fusion passes: values and gradients equal to
the unplanned graph, over several runs that reuse the same buffers; nothing read after it is freed;
views and escaping values never share a buffer; and the planned graph's peak memory is lower."""
from __future__ import annotations

import tracemalloc

import numpy as np

from dezero_core.functions.arithmetic import Add, Mul
from dezero_core.functions.elementwise import Exp, Sin, Tanh
from dezero_core.functions.reductions import Sum
from dezero_core.functions.shape import Reshape
from dezero_core.static.passes.fused_ops import Affine, MulAdd
from dezero_core.static.passes.fusion import fuse_algebraic, fuse_elementwise
from dezero_core.static.passes.memory import plan_memory
from pass_harness import Builder, clone, interpret
from test_fusion import arr, mlp_graph


def runs_equal(graph, planned, feeds_list) -> None:
    """The planned graph, its buffers reused run after run, gives the unplanned graph's results."""
    buffers = [np.full(b.shape, np.nan, b.dtype) for b in planned.buffers]
    for feeds in feeds_list:
        for got, want in zip(interpret(planned, feeds, buffers), interpret(graph, feeds)):
            np.testing.assert_array_equal(got, want)


def mlp_feeds(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    shapes = {"x": (5, 4), "W0": (4, 6), "b0": (6,), "W1": (6, 3), "b1": (3,)}
    return {k: rng.standard_normal(s) for k, s in shapes.items()}


def test_every_intermediate_is_freed_once_after_its_last_reader():
    graph = mlp_graph(mlp_feeds(0), use_matmul=False)
    planned = plan_memory(clone(graph))
    outputs = {v.id for v in planned.outputs}
    freed = [v.id for n in planned.nodes for v in n.free_after]
    produced = [v.id for n in planned.nodes for v in n.outputs if v.id not in outputs]
    assert sorted(freed) == sorted(produced)
    for i, node in enumerate(planned.nodes):  # freed where read last, never earlier
        for v in node.free_after:
            readers = [j for j, n in enumerate(planned.nodes) if v in n.inputs]
            assert i == max(readers, default=planned.nodes.index(v.producer))
    runs_equal(graph, planned, [mlp_feeds(0)])


def test_fused_mlp_writes_into_buffers_reused_across_runs():
    graph = mlp_graph(mlp_feeds(0), use_matmul=False)
    planned = plan_memory(fuse_algebraic(clone(graph)))
    affine = [n for n in planned.nodes if n.op == "Affine"]
    assert affine[0].out == [0]  # the hidden activation: read by the backward, never escaping
    assert planned.buffers[0].shape == (5, 6)
    runs_equal(graph, planned, [mlp_feeds(1), mlp_feeds(2), mlp_feeds(3)])


def test_an_output_never_gets_a_buffer():
    b = Builder()
    x, W = b.input("x", arr(3, 4)), b.input("W", arr(4, 2))
    graph = b.finish(b.call(Affine(), x, W))
    planned = plan_memory(clone(graph))
    assert planned.nodes[0].out == [] and planned.buffers == []


def test_a_view_keeps_its_buffer_alive_until_the_view_dies():
    # y = x W0 is reshaped (a view) and read at the end; z = x W1, of y's shape, comes after y's
    # last direct read: without alias tracking z would take y's buffer and overwrite the view
    feeds = {"x": arr(3, 4), "W0": arr(4, 2), "W1": arr(4, 2)}
    b = Builder()
    x, w0, w1 = (b.input(k, v) for k, v in feeds.items())
    y = b.call(Affine(), x, w0)
    view = b.call(Reshape((6,)), y)
    z = b.call(Affine(), x, w1)
    total = b.call(Add(), b.call(Sum(None, False), z), b.call(Sum(None, False), view))
    graph = b.finish(total)
    planned = plan_memory(clone(graph))
    out_y, out_z = planned.nodes[0].out, planned.nodes[2].out
    assert out_y == [0] and out_z == [1]
    runs_equal(graph, planned, [feeds, {k: v * 2 for k, v in feeds.items()}])


def test_a_value_whose_view_escapes_gets_no_buffer():
    b = Builder()
    x, W = b.input("x", arr(3, 4)), b.input("W", arr(4, 2))
    y = b.call(Affine(), x, W)
    graph = b.finish(b.call(Reshape((6,)), y))  # the output is a view of y
    assert plan_memory(clone(graph)).nodes[0].out == []


def test_a_dying_fresh_intermediate_is_overwritten_in_place():
    feeds = {"x": arr(4, 3), "b": arr(4, 3), "c": arr(4, 3)}
    b = Builder()
    x, b_, c = (b.input(k, v) for k, v in feeds.items())
    e = b.call(Exp(), b.call(Sin(), x))  # fused below into one fresh intermediate
    y = b.call(MulAdd(), e, b_, c)
    graph = b.finish(b.call(Sum(None, False), b.call(Tanh(), y)))
    planned = plan_memory(fuse_elementwise(clone(graph)))
    muladd = next(n for n in planned.nodes if n.op == "MulAdd")
    assert muladd.inplace
    runs_equal(graph, planned, [feeds])


def test_an_input_or_a_value_read_later_is_never_overwritten_in_place():
    feeds = {"a": arr(4, 3), "b": arr(4, 3), "c": arr(4, 3)}
    b = Builder()
    a, b_, c = (b.input(k, v) for k, v in feeds.items())
    t = b.call(Mul(), a, b_)
    y = b.call(MulAdd(), a, b_, c)  # its first input is a graph input
    w = b.call(MulAdd(), t, b_, c)  # t is read again below
    graph = b.finish(b.call(Add(), b.call(Add(), y, w), t))
    planned = plan_memory(clone(graph))
    assert not any(n.inplace for n in planned.nodes)
    runs_equal(graph, planned, [feeds])


def peak_bytes(graph, feeds, buffers=None) -> int:
    tracemalloc.start()
    try:
        interpret(graph, feeds, buffers)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_planning_lowers_the_peak_memory_of_a_deep_chain():
    # 12 affine layers of 200x200 activations: unplanned, every activation is held to the end
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((200, 200)), "W": rng.standard_normal((200, 200)) / 20}
    b = Builder()
    h, W = b.input("x", feeds["x"]), b.input("W", feeds["W"])
    for _ in range(12):
        h = b.call(Affine("relu"), h, W)
    graph = b.finish(b.call(Sum(None, False), h))
    planned = plan_memory(clone(graph))
    buffers = [np.empty(buf.shape, buf.dtype) for buf in planned.buffers]
    assert len(buffers) == 2  # two buffers take turns down the chain
    interpret(planned, feeds, buffers)  # the buffers exist before the measured run, as in replay
    unplanned, planned_peak = peak_bytes(graph, feeds), peak_bytes(planned, feeds, buffers)
    activation = 200 * 200 * 8
    assert unplanned >= 12 * activation
    assert planned_peak + 2 * activation <= 0.3 * unplanned  # 3 activations at most, against 12


def test_a_node_reading_its_first_input_twice_does_not_overwrite_it():
    feeds = {"x": arr(4, 3), "b": arr(4, 3)}
    b = Builder()
    x, b_ = b.input("x", feeds["x"]), b.input("b", feeds["b"])
    e = b.call(Exp(), b.call(Sin(), x))
    graph = b.finish(b.call(MulAdd(), e, b_, e))  # e * b + e: e is read after the product
    planned = plan_memory(fuse_elementwise(clone(graph)))
    assert not any(n.inplace for n in planned.nodes)
    runs_equal(graph, planned, [feeds])
