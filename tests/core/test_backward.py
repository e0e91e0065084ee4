"""The backward engine: order, accumulation, what it frees and what it keeps."""
from __future__ import annotations

import weakref

import numpy as np
import pytest

from dezero_core import Function, Variable, functions as F

X = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])


class Tagged(Function):
    """The identity, which notes its tag in ``log`` when its backward runs."""

    def __init__(self, tag: str, log: list[str]) -> None:
        self.tag, self.log = tag, log

    def forward(self, xp, x):
        return x

    def backward(self, xp, xs, y, gy):
        self.log.append(self.tag)
        return gy


def test_backward_of_a_diamond_runs_the_shared_function_after_both_branches(put) -> None:
    log: list[str] = []
    a = Tagged("a", log)(Variable(put(X)))
    long_branch = Tagged("b3", log)(Tagged("b2", log)(Tagged("b1", log)(a)))
    short_branch = Tagged("c", log)(a)
    (long_branch + short_branch).backward()
    assert log[-1] == "a"
    assert log.index("b3") < log.index("b2") < log.index("b1")


def test_backward_of_a_diamond_adds_up_both_paths(put, host) -> None:
    x = Variable(put(2.0))
    a = x ** 2
    y = a ** 2 + a ** 2  # 2 x^4
    y.backward()
    assert float(host(x.grad)) == 64.0


def test_gradients_accumulate_across_backward_calls(put, host) -> None:
    x = Variable(put(X))
    F.sum(x * 2.0).backward()
    F.sum(x * 3.0).backward()
    np.testing.assert_array_equal(host(x.grad), np.full_like(X, 5.0))


def test_cleargrad_starts_the_next_backward_from_zero(put, host) -> None:
    x = Variable(put(X))
    F.sum(x * 2.0).backward()
    x.cleargrad()
    F.sum(x * 3.0).backward()
    np.testing.assert_array_equal(host(x.grad), np.full_like(X, 3.0))


def test_a_read_gradient_still_accumulates(put, host) -> None:
    x = Variable(put(X))
    F.sum(x * 2.0).backward()
    first = x.grad
    F.sum(x * 3.0).backward()
    np.testing.assert_array_equal(host(first), np.full_like(X, 2.0))
    np.testing.assert_array_equal(host(x.grad), np.full_like(X, 5.0))


def test_backward_of_a_non_scalar_seeds_ones(put, host) -> None:
    x = Variable(put(X))
    (x * 3.0).backward()
    np.testing.assert_array_equal(host(x.grad), np.full_like(X, 3.0))


def test_backward_of_a_leaf_gives_it_a_gradient_of_ones(put, host) -> None:
    x = Variable(put(X))
    x.backward()
    np.testing.assert_array_equal(host(x.grad), np.ones_like(X))


def test_intermediate_gradients_are_freed_by_default(put) -> None:
    x = Variable(put(X))
    h = F.sin(x)
    y = F.sum(h)
    y.backward()
    assert h.grad is None and y.grad is None
    assert x.grad is not None


def test_retain_grad_keeps_intermediate_gradients(put, host) -> None:
    x = Variable(put(X))
    h = F.sin(x)
    y = F.sum(h * 2.0)
    y.backward(retain_grad=True)
    np.testing.assert_array_equal(host(h.grad), np.full_like(X, 2.0))
    assert float(host(y.grad)) == 1.0


def test_the_graph_stays_after_backward_by_default(put, host) -> None:
    x = Variable(put(X))
    y = F.sum(F.sin(x))
    y.backward()
    y.backward()
    np.testing.assert_allclose(host(x.grad), 2 * np.cos(X))


def test_retain_graph_false_releases_the_graph(put) -> None:
    x = Variable(put(X))
    h = F.sin(x)
    y = F.sum(h)
    y.backward(retain_graph=False)
    assert y.creator.inputs is None and h.creator.inputs is None


def test_retain_graph_false_frees_intermediate_variables(put) -> None:
    h = F.sin(Variable(put(X)))
    y = F.sum(h * 2.0)
    ref = weakref.ref(h)
    del h
    y.backward(retain_graph=False)
    assert ref() is None


def test_a_second_backward_through_a_released_graph_says_to_keep_it(put) -> None:
    y = F.sum(F.sin(Variable(put(X))))
    y.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match=r"already released by an earlier backward\(retain_graph=False\).*"
                                           r"retain_graph=True"):
        y.backward()


def test_backward_through_a_released_graph_from_a_new_variable_is_an_error(put) -> None:
    # the gradient would silently miss everything behind the released part
    h = F.sin(Variable(put(X)))
    F.sum(h).backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="already released"):
        F.sum(h * 2.0).backward()


def test_the_book_truncated_backprop_loop_backpropagates_only_the_new_segment(put, host) -> None:
    # the book's RNN loop keeps adding to the loss after backward() and unchain_backward()
    w = Variable(put(0.5))
    state = Variable(put(1.0), requires_grad=False)
    state = F.tanh(state * w)
    loss = state * 1.0
    loss.backward()
    loss.unchain_backward()
    assert state.creator is None
    first_state = host(state)
    state = F.tanh(state * w)
    loss = loss + state
    w.cleargrad()
    loss.backward()
    # the second step alone, with the first state a constant: d tanh(s w)/dw = s (1 - tanh^2)
    expected = first_state * (1 - np.tanh(first_state * 0.5) ** 2)
    np.testing.assert_allclose(host(w.grad), expected, rtol=1e-12)


def test_a_dropped_branch_sends_no_gradient(put, host) -> None:
    x = Variable(put(X))
    F.sin(x)  # computed and thrown away: no gradient flows from it
    F.sum(x * 2.0).backward()
    np.testing.assert_array_equal(host(x.grad), np.full_like(X, 2.0))


def test_unchain_makes_a_variable_a_leaf(put) -> None:
    h = F.sin(Variable(put(X)))
    h.unchain()
    assert h.creator is None


def test_unchain_backward_cuts_the_graph_behind_a_variable(put, host) -> None:
    x = Variable(put(X))
    h = x * 2.0
    y = F.sum(F.sin(h))
    y.unchain_backward()
    assert h.creator is None
    y.backward()
    assert x.grad is None  # the cut stops the gradient at h ...
    assert y.creator is not None  # ... but y keeps its own creator


class TwoOutputs(Function):
    """``(2x, 3x)``: a function with two outputs."""

    def forward(self, xp, x):
        return 2.0 * x, 3.0 * x

    def backward(self, xp, xs, y, gy):
        g2, g3 = gy
        gx = 0.0
        if g2 is not None:
            gx = gx + 2.0 * g2
        if g3 is not None:
            gx = gx + 3.0 * g3
        return gx


def test_a_function_with_two_outputs_receives_both_gradients(put, host) -> None:
    x = Variable(put(X))
    a, b = TwoOutputs()(x)
    F.sum(a * 5.0 + b * 7.0).backward()
    np.testing.assert_array_equal(host(x.grad), np.full_like(X, 2 * 5 + 3 * 7))


def test_an_unused_output_of_a_two_output_function_contributes_nothing(put, host) -> None:
    x = Variable(put(X))
    a, _ = TwoOutputs()(x)
    F.sum(a).backward()
    np.testing.assert_array_equal(host(x.grad), np.full_like(X, 2.0))


def test_composite_function_has_the_numerical_gradient(check_grad) -> None:
    w = np.array([[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]])
    check_grad(lambda x, w: F.sum(F.tanh(x @ w) * F.exp(x[:, :2]) / (F.cos(x[:, 1:]) + 3.0)), X, w)
