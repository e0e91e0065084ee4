"""The pass ``batch_shared_weights``: calls sharing a weight batched across time steps."""
from __future__ import annotations

import numpy as np

import dezero_core as dz
import dezero_core.functions as F
import dezero_core.layers as L
from dezero_core.models import Model
from dezero_core.optimizers import Adam
from dezero_core.static.passes import DEFAULT_PASSES


def ops(graph) -> list[str]:
    return [n.op for n in graph.nodes]


def adds_of(graph, shape: tuple[int, ...]) -> int:
    """How many Add nodes make a value of ``shape`` (a sum of per-step gradients of that shape)."""
    return sum(1 for n in graph.nodes if n.op == "Add" and n.outputs[0].shape == shape)


def arrays(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def test_independent_steps_become_one_product_forward_and_backward() -> None:
    xs = [dz.symbol(f"x{k}", (4, 5), "float64") for k in range(3)]
    W, b = dz.symbol("W", (5, 6), "float64"), dz.symbol("b", (6,), "float64")
    loss = F.sum(F.tanh(F.linear(xs[0], W, b)))
    for x in xs[1:]:
        loss = loss + F.sum(F.tanh(F.linear(x, W, b)))
    grads = dz.grad(loss, [W, b, *xs])
    batched = dz.compile(grads, passes=["batch_shared_weights"])
    names = ops(batched.graph)
    # one product of the 12 rows, one backward giving W's, b's and every x's gradient, no Add of them
    assert names.count("Linear") == 1 and names.count("backward:Linear") == 1
    assert adds_of(batched.graph, (5, 6)) == adds_of(batched.graph, (6,)) == adds_of(batched.graph, (4, 5)) == 0
    feeds = dict(zip(["x0", "x1", "x2", "W", "b"], arrays(0, *[(4, 5)] * 3, (5, 6), (6,))))
    got = [g.data for g in batched(**feeds)]
    x = np.concatenate([feeds["x0"], feeds["x1"], feeds["x2"]])
    gy = 1 - np.tanh(x @ feeds["W"] + feeds["b"]) ** 2
    np.testing.assert_allclose(got[0], x.T @ gy, rtol=1e-12)
    np.testing.assert_allclose(got[1], gy.sum(axis=0), rtol=1e-12)
    for k in range(3):
        np.testing.assert_allclose(got[2 + k], gy[4 * k:4 * k + 4] @ feeds["W"].T, rtol=1e-12)


def test_a_recurrence_keeps_its_steps_and_gets_one_weight_gradient() -> None:
    h0, W = dz.symbol("h0", (2, 3), "float64"), dz.symbol("W", (3, 3), "float64")
    h = h0
    for _ in range(4):  # each step reads the one before: the forward cannot be batched
        h = F.tanh(F.linear(h, W))
    grads = dz.grad(F.sum(h * h), [W, h0])
    batched = dz.compile(grads, passes=["batch_shared_weights"])
    names = ops(batched.graph)
    # h's gradients stay a chain of per-step products (each needs the one after it); W's is one product
    assert names.count("Linear") == 4 and names.count("backward:Linear") == 5 and adds_of(batched.graph, (3, 3)) == 0
    h0v, Wv = arrays(1, (2, 3), (3, 3))
    reference = dz.compile(grads, passes=())(h0=h0v, W=Wv)
    for got, want in zip(batched(h0=h0v, W=Wv), reference):
        np.testing.assert_allclose(got[0].data, want[0].data, rtol=1e-12)


def test_a_weight_also_used_elsewhere_keeps_the_rest_of_its_sum() -> None:
    xs = [dz.symbol(f"x{k}", (2, 3), "float64") for k in range(3)]
    W = dz.symbol("W", (3, 3), "float64")
    loss = F.sum(W * W)  # a penalty: W's gradient is the products' sum plus this term
    for x in xs:
        loss = loss + F.sum(F.sin(F.linear(x, W)))
    grads = dz.grad(loss, [W])
    feeds = dict(zip(["x0", "x1", "x2", "W"], arrays(2, (2, 3), (2, 3), (2, 3), (3, 3))))
    got = dz.compile(grads, passes=["batch_shared_weights"])(**feeds)
    want = dz.compile(grads, passes=())(**feeds)
    np.testing.assert_allclose(got[0].data, want[0].data, rtol=1e-12)


def train_lm(compiled: bool, windows: list) -> tuple[list[float], dict[str, np.ndarray], object]:
    """A language model (lookup, LSTM, output layer per step) trained over ``windows`` by Adam:
    its losses, its parameters and the (compiled) step."""
    dz.random.seed(0)
    model = Model()
    model.embed, model.lstm, model.fc = L.EmbedID(12, 6), L.LSTM(6, in_size=6), L.Linear(12, in_size=6)
    optimizer = Adam(lr=0.01).setup(model)

    def window(xs, ts):
        model.lstm.reset_state()
        loss = 0
        for k in range(xs.shape[0]):
            loss = loss + F.softmax_cross_entropy(model.fc(model.lstm(model.embed(xs[k]))), ts[k])
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss

    step = dz.compile(window) if compiled else window
    losses = [float(step(xs, ts).data) for xs, ts in windows]
    return losses, {name: p.data.copy() for name, p in model.named_param_list()}, step


def test_a_language_model_trains_as_eager_within_float32_rounding() -> None:
    assert "batch_shared_weights" in DEFAULT_PASSES
    rng = np.random.default_rng(3)
    windows = [(rng.integers(0, 12, (5, 4)), rng.integers(0, 12, (5, 4))) for _ in range(4)]
    eager_losses, eager_params, _ = train_lm(False, windows)
    losses, params, step = train_lm(True, windows)
    names = ops(step.graph)
    # the 5 lookups, input projections and output layers are one call each; h2h stays per step
    assert names.count("EmbedID") == 1 and names.count("Linear") == 2 + 4
    lookup = next(n for n in step.graph.nodes if n.op == "EmbedID")
    assert lookup.inputs[0].producer.op == "Reshape"  # the window's ids xs[0], xs[1]... are xs itself
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for name, p in eager_params.items():
        np.testing.assert_allclose(params[name], p, rtol=1e-5, atol=1e-6, err_msg=name)


def test_steps_on_large_arrays_are_left_alone(monkeypatch) -> None:
    from dezero_core.static.passes import shared_weights

    monkeypatch.setattr(shared_weights, "MAX_PART_ELEMENTS", 19)  # the steps below have 20 elements
    xs = [dz.symbol(f"x{k}", (4, 5), "float64") for k in range(3)]
    W = dz.symbol("W", (5, 6), "float64")
    loss = F.sum(F.linear(xs[0], W)) + F.sum(F.linear(xs[1], W)) + F.sum(F.linear(xs[2], W))
    names = ops(dz.compile(dz.grad(loss, [W]), passes=["batch_shared_weights"]).graph)
    assert names.count("Linear") == 3 and names.count("backward:Linear") == 3


def test_steps_picked_by_index_arrays_are_batched_by_concatenation() -> None:
    x = dz.symbol("x", (6, 5), "float64")
    W = dz.symbol("W", (5, 2), "float64")
    picks = [np.array([0, 2]), np.array([1, 3]), np.array([4, 5])]  # keys no slice or integer test may compare
    loss = F.sum(F.linear(x[picks[0]], W))
    for p in picks[1:]:
        loss = loss + F.sum(F.linear(x[p], W))
    grads = dz.grad(loss, [W])
    xv, Wv = arrays(4, (6, 5), (5, 2))
    batched = dz.compile(grads, passes=["batch_shared_weights"])
    assert ops(batched.graph).count("Linear") == 1
    np.testing.assert_allclose(batched(x=xv, W=Wv)[0].data, np.tile(xv.sum(axis=0)[:, None], (1, 2)), rtol=1e-12)
