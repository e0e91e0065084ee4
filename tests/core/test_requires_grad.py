"""Gradients only where they are needed: raw arrays are constants, and functions skip their work."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F

X = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])
W = np.array([[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]])


class CountingOps:
    """A namespace that forwards to ``ops`` and counts the calls of each name."""

    def __init__(self, ops) -> None:
        self._ops = ops
        self.calls: dict[str, int] = {}

    def __getattr__(self, name):
        target = getattr(self._ops, name)
        if not callable(target):
            return target

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return target(*args, **kwargs)
        return counted


def test_a_user_variable_gets_a_gradient(put) -> None:
    x = Variable(put(X))
    F.sum(x * 2.0).backward()
    assert x.grad is not None


def test_a_raw_array_input_becomes_a_constant_without_gradient(put) -> None:
    w = Variable(put(W))
    y = F.matmul(put(X), w)
    constant = y.creator.inputs[0]
    F.sum(y).backward()
    assert not constant.requires_grad
    assert constant.grad is None


def test_needs_grad_marks_which_inputs_need_a_gradient(put) -> None:
    y = F.matmul(put(X), Variable(put(W)))
    assert y.creator.needs_grad == (False, True)


def test_matmul_backward_skips_the_product_for_a_constant_input(put, dezero_backend) -> None:
    y = F.matmul(put(X), Variable(put(W)))
    ops = CountingOps(dezero_backend.ops)
    gx, gw = y.creator.backward(ops, tuple(x.data for x in y.creator.inputs), y.data, put(np.ones((2, 2))))
    assert gx is None and gw is not None
    assert ops.calls["matmul"] == 1


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "power"])
def test_binary_backward_skips_the_gradient_of_a_constant_input(name, put, dezero_backend) -> None:
    y = getattr(F, name)(Variable(put(X + 2.0)), put(X + 2.0))
    gx, gc = y.creator.backward(dezero_backend.ops, tuple(x.data for x in y.creator.inputs), y.data,
                                put(np.ones_like(X)))
    assert gx is not None and gc is None


def test_requires_grad_false_opts_a_user_variable_out(put) -> None:
    x = Variable(put(X), requires_grad=False)
    w = Variable(put(X))
    F.sum(x * w).backward()
    assert x.grad is None
    assert w.grad is not None


def test_an_operation_on_constants_only_records_nothing(put) -> None:
    x = Variable(put(X), requires_grad=False)
    y = F.sin(x)
    assert y.creator is None
    assert not y.requires_grad


def test_an_operation_on_a_raw_array_alone_records_nothing(put) -> None:
    y = F.sin(put(X))
    assert isinstance(y, Variable)
    assert y.creator is None


def test_an_operation_with_one_variable_needing_a_gradient_is_recorded(put) -> None:
    y = F.add(Variable(put(X), requires_grad=False), Variable(put(X)))
    assert y.creator is not None
    assert y.requires_grad


def test_the_gradient_reaches_a_variable_through_constants_beside_it(put, host) -> None:
    x = Variable(put(X))
    y = (x * put(W[:, 0]) + put(X)) / 2.0
    F.sum(y).backward()
    np.testing.assert_allclose(host(x.grad), np.broadcast_to(W[:, 0] / 2.0, X.shape))
