"""The pass ``batch_step_losses``: per-step softmax cross-entropies as one call, to the bit."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F


def ops(graph) -> list[str]:
    return [n.op for n in graph.nodes]


def steps(n: int, rows: int = 4, classes: int = 6) -> tuple[list, list, dict[str, np.ndarray]]:
    """``n`` score and label symbols, and values for them (float32 scores, int64 labels)."""
    scores = [dz.symbol(f"s{k}", (rows, classes), "float32") for k in range(n)]
    labels = [dz.symbol(f"t{k}", (rows,), "int64") for k in range(n)]
    rng = np.random.default_rng(n)
    feeds = {f"s{k}": (rng.standard_normal((rows, classes)) * 3).astype(np.float32) for k in range(n)}
    feeds.update({f"t{k}": rng.integers(0, classes, rows) for k in range(n)})
    return scores, labels, feeds


def summed(scores: list, labels: list, **kwargs) -> object:
    loss = F.softmax_cross_entropy(scores[0], labels[0], **kwargs)
    for s, t in zip(scores[1:], labels[1:]):
        loss = loss + F.softmax_cross_entropy(s, t, **kwargs)
    return loss


@pytest.mark.parametrize("rows", [4, 9, 20])  # numpy sums 8 or more numbers by 8 partial sums
def test_the_losses_and_their_gradients_are_one_call_each_and_equal_to_the_bit(rows: int) -> None:
    scores, labels, feeds = steps(5, rows)
    loss = summed(scores, labels)
    outputs = [loss, *dz.grad(loss, scores)]
    batched = dz.compile(outputs, passes=["batch_step_losses"])
    names = ops(batched.graph)
    assert "SoftmaxCrossEntropy" not in names and "backward:SoftmaxCrossEntropy" not in names
    assert names.count("SoftmaxCrossEntropyParts") == names.count("backward:SoftmaxCrossEntropyParts") == 1
    got, want = batched(**feeds), dz.compile(outputs, passes=())(**feeds)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a.data, b.data)
    # and against numpy: each step's mean of -log softmax at the label
    s = feeds["s0"].astype(np.float64)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(6)[feeds["t0"]]
    np.testing.assert_allclose(got[1].data, (p - onehot) / rows, rtol=1e-5, atol=1e-7)


def test_losses_without_a_backward_are_batched_too() -> None:
    scores, labels, feeds = steps(3)
    loss = summed(scores, labels)
    batched = dz.compile(loss, passes=["batch_step_losses"])
    assert ops(batched.graph).count("SoftmaxCrossEntropyParts") == 1
    np.testing.assert_array_equal(batched(**feeds).data, dz.compile(loss, passes=())(**feeds).data)


def test_smoothed_losses_are_left_alone() -> None:
    scores, labels, feeds = steps(3)
    loss = summed(scores, labels, label_smoothing=0.1)
    batched = dz.compile(dz.grad(loss, scores), passes=["batch_step_losses"])
    assert "SoftmaxCrossEntropyParts" not in ops(batched.graph)
    assert ops(batched.graph).count("SoftmaxCrossEntropy") == 3


def test_losses_of_large_scores_are_left_alone(monkeypatch) -> None:
    from dezero_core.static.passes import shared_weights

    monkeypatch.setattr(shared_weights, "MAX_PART_ELEMENTS", 23)  # the scores below have 24 elements
    scores, labels, _ = steps(3)
    assert "SoftmaxCrossEntropyParts" not in ops(dz.compile(summed(scores, labels), passes=["batch_step_losses"]).graph)


def test_a_loss_that_feeds_the_next_steps_scores_keeps_its_own_call() -> None:
    scores, labels, feeds = steps(2)
    first = F.softmax_cross_entropy(scores[0], labels[0])
    second = F.softmax_cross_entropy(scores[1] * first, labels[1])  # needs the first loss's value
    loss = first + second
    outputs = [loss, *dz.grad(loss, scores[:2])]
    batched = dz.compile(outputs, passes=["batch_step_losses"])  # batching them would be a cycle
    assert "SoftmaxCrossEntropyParts" not in ops(batched.graph)
    for a, b in zip(batched(**feeds), dz.compile(outputs, passes=())(**feeds)):
        np.testing.assert_array_equal(a.data, b.data)
