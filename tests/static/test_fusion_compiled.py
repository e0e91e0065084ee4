"""The fusion and memory passes inside ``dz.compile``: traced training steps and symbolic graphs
give what eager mode (or the graph without these passes) gives, with the fused nodes in the graph."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import Adam, MomentumSGD
from dezero_numpy import fusion as numpy_fusion

CORE = ["fold_constants", "cse", "dce"]
OURS = CORE + ["fuse_algebraic", "fuse_elementwise", "dce", "plan_memory"]


def mlp_training(optimizer_type: type, compiled_passes: list | None):
    """(step, model) of an MLP 12-16-16-3 with ReLU; ``compiled_passes`` None: eager."""
    dz.random.seed(0)
    model = MLP((16, 16, 3), activation=F.relu, in_size=12)
    optimizer = optimizer_type().setup(model)
    optimizer.update_in_backward = False  # the compiled step keeps its gradients, to compare them with eager's

    def step(x, t):
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss

    return (step if compiled_passes is None else dz.compile(step, passes=compiled_passes)), model


@pytest.mark.parametrize("optimizer_type", [Adam, MomentumSGD])
def test_a_fused_planned_training_step_equals_eager_bit_for_bit(optimizer_type):
    rng = np.random.default_rng(0)
    eager, eager_model = mlp_training(optimizer_type, None)
    compiled, compiled_model = mlp_training(optimizer_type, OURS)
    for _ in range(4):
        x, t = rng.standard_normal((8, 12)).astype(np.float32), rng.integers(0, 3, 8)
        assert float(compiled(x, t).data) == float(eager(x, t).data)
    for p, q in zip(compiled_model.params(), eager_model.params()):
        np.testing.assert_array_equal(p.data, q.data)
        np.testing.assert_array_equal(p.grad.data, q.grad.data)
    ops = [n.op for n in compiled.graph.nodes]
    assert ops.count("Affine") == 2 and ops.count("backward:Affine") == 2 and "ReLU" not in ops
    assert compiled.graph.buffers and any(n.out for n in compiled.graph.nodes)


def test_symbolic_mul_add_and_its_gradients_equal_the_unfused_graph():
    a, b, c = dz.symbol("a", (4, 3), "float64"), dz.symbol("b", (3,), "float64"), dz.symbol("c", (4, 3), "float64")
    y = F.sum(F.tanh(a * b + c))
    outputs = [y, *dz.grad(y, [a, b, c])]
    fused, plain = dz.compile(outputs, passes=OURS), dz.compile(outputs, passes=CORE)
    rng = np.random.default_rng(1)
    feeds = {"a": rng.standard_normal((4, 3)), "b": rng.standard_normal(3), "c": rng.standard_normal((4, 3))}
    for got, want in zip(fused(**feeds), plain(**feeds)):
        np.testing.assert_array_equal(got.data, want.data)
    assert "MulAdd" in [n.op for n in fused.graph.nodes]


def test_a_symbolic_elementwise_chain_is_one_node_and_equals_eager(monkeypatch):
    monkeypatch.setattr(numpy_fusion, "MIN_SIZE", 1 << 10)  # the blocked kernel on a small array
    x = dz.symbol("x", (3000,), "float32")
    f = dz.compile(F.tanh(F.relu(x * 1.5 + 0.5) * 0.5 - 0.25) * 2.0 + F.exp(x), passes=OURS)
    x0 = np.random.default_rng(2).standard_normal(3000).astype(np.float32)
    eager = F.tanh(F.relu(dz.Variable(x0) * 1.5 + 0.5) * 0.5 - 0.25) * 2.0 + F.exp(dz.Variable(x0))
    np.testing.assert_array_equal(f(x=x0).data, eager.data)
    assert [n.op for n in f.graph.nodes] == ["FusedElementwise"]
    assert isinstance(next(iter(f.graph.nodes[0].fn._kernels.values())), numpy_fusion.BlockedKernel)


def test_a_saved_graph_with_fused_nodes_loads_and_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(numpy_fusion, "MIN_SIZE", 1 << 10)
    x, W = dz.symbol("x", (64, 32), "float32"), dz.symbol("W", (32, 48), "float32")
    f = dz.compile(F.sin(F.relu(F.matmul(x, W)) * 2.0 + 1.0), passes=OURS)
    rng = np.random.default_rng(3)
    feeds = {"x": rng.standard_normal((64, 32)).astype(np.float32),
             "W": rng.standard_normal((32, 48)).astype(np.float32)}
    assert "FusedElementwise" in [n.op for n in f.graph.nodes]
    f.save(tmp_path / "f.dzg")
    loaded = dz.load_compiled(tmp_path / "f.dzg")
    np.testing.assert_array_equal(loaded(**feeds).data, f(**feeds).data)


@pytest.mark.filterwarnings("ignore:LSTM.:UserWarning")  # the state is passed in and returned, as advised
def test_an_lstm_window_with_fused_cell_updates_equals_eager_bit_for_bit():
    # c = f * c + i * u is a MulAdd; the weights are used at every step, their gradients summed
    from dezero_core import layers as L

    def training(passes):
        dz.random.seed(0)
        lstm, fc = L.LSTM(6, in_size=4), L.Linear(3, in_size=6)
        model = dz.models.Model()
        model.lstm, model.fc = lstm, fc
        optimizer = Adam().setup(model)

        def window(xs, ts, h, c):
            lstm.h, lstm.c = h, c
            loss = 0
            for k in range(xs.shape[0]):
                loss = loss + F.softmax_cross_entropy(fc(lstm(xs[k])), ts[k])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            return loss, lstm.h, lstm.c

        return (window if passes is None else dz.compile(window, passes=passes)), model

    rng = np.random.default_rng(4)
    xs, ts = rng.standard_normal((3, 5, 2, 4)).astype(np.float32), rng.integers(0, 3, (3, 5, 2))
    results = {}
    for name, passes in (("eager", None), ("compiled", OURS)):
        step, model = training(passes)
        h = c = np.zeros((2, 6), np.float32)
        losses = []
        for w in range(3):
            loss, h, c = step(xs[w], ts[w], h, c)
            h, c = h.data, c.data
            losses.append(float(loss.data))
        results[name] = losses, [p.data.copy() for p in model.params()], step
    assert results["compiled"][0] == results["eager"][0]
    for p, q in zip(results["compiled"][1], results["eager"][1]):
        np.testing.assert_array_equal(p, q)
    assert "MulAdd" in [n.op for n in results["compiled"][2].graph.nodes]
