"""Gradient buffers (``dezero_core.graph.grad_buffers``): a parameter's first gradient of a backward
pass lands in its registered buffer and is it; the values are those without a buffer."""
import gc

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import functions as F
from dezero_core.graph import grad_buffers
from dezero_core.graph.grad_buffers import clear_grad_buffer, set_grad_buffer

pytestmark = pytest.mark.usefixtures("numpy_backend")


@pytest.fixture
def numpy_backend():
    with dz.using_backend("numpy"):
        yield
    grad_buffers.GRAD_BUFFERS.clear()  # a failed test leaves none registered for the next


def _params():
    rng = np.random.default_rng(0)
    return (dz.Parameter(rng.standard_normal((4, 3)), name="W"), dz.Parameter(rng.standard_normal(3), name="b"),
            rng.standard_normal((5, 4)))


def _grads(loss_of, buffered: bool):
    W, b, x = _params()
    buffers = {}
    if buffered:
        for p in (W, b):
            buffers[p.name] = np.full(p.data.shape, np.nan)
            set_grad_buffer(p, buffers[p.name])
    loss_of(W, b, x).backward()
    result = {p.name: p.grad.data for p in (W, b)}
    for p in (W, b):
        clear_grad_buffer(p)
    return result, buffers


@pytest.mark.parametrize("loss_of", [
    lambda W, b, x: F.sum(F.linear(x, W, b) ** 2),  # linear: the weight's product written in place
    lambda W, b, x: F.sum(F.tanh(F.matmul(x, W) + b)),  # others: copied into the buffer by the engine
], ids=["linear", "matmul-add"])
def test_the_first_gradient_is_the_buffer_with_the_values_it_has_without_one(loss_of):
    expected, _ = _grads(loss_of, buffered=False)
    got, buffers = _grads(loss_of, buffered=True)
    for name in expected:
        assert got[name] is buffers[name]
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-13, atol=0)


def test_a_parameter_used_twice_sums_its_gradients_outside_the_buffer():
    def loss_of(W, b, x):
        return F.sum(F.tanh(F.linear(x, W, b)) * F.sum(W ** 2))

    expected, _ = _grads(loss_of, buffered=False)
    got, buffers = _grads(loss_of, buffered=True)
    np.testing.assert_allclose(got["W"], expected["W"], rtol=1e-13)
    assert got["W"] is not buffers["W"]  # the sum is a new array; the owner copies it
    np.testing.assert_allclose(got["b"], expected["b"], rtol=1e-13)


def test_a_parameter_that_is_both_inputs_of_linear_gets_both_gradients():
    rng = np.random.default_rng(1)
    data = rng.standard_normal((3, 3))
    reference = dz.Parameter(data.copy())
    F.sum(F.linear(reference, reference) ** 2).backward()
    W = dz.Parameter(data.copy())
    set_grad_buffer(W, np.zeros((3, 3)))
    F.sum(F.linear(W, W) ** 2).backward()
    clear_grad_buffer(W)
    np.testing.assert_allclose(W.grad.data, reference.grad.data, rtol=1e-13)


def test_higher_order_backward_ignores_buffers():
    W, b, x = _params()
    buffer = np.zeros((4, 3))
    set_grad_buffer(W, buffer)
    F.sum(F.linear(x, W, b) ** 2).backward(create_graph=True)
    clear_grad_buffer(W)
    assert W.grad.data is not buffer and not buffer.any()
    np.testing.assert_allclose(W.grad.data, 2 * x.T @ (x @ W.data + b.data), rtol=1e-13)


def test_an_entry_goes_with_its_parameter():
    W = dz.Parameter(np.ones((2, 2)))
    set_grad_buffer(W, np.zeros((2, 2)))
    assert grad_buffers.GRAD_BUFFERS
    del W
    gc.collect()
    assert not grad_buffers.GRAD_BUFFERS  # no stale buffer for a new parameter that reuses the id


def test_a_buffer_of_another_shape_or_dtype_is_refused():
    W = dz.Parameter(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"a gradient buffer must have its parameter's shape and dtype: "
                                         r"\(3, 2\) float64 for a parameter of \(2, 3\) float64"):
        set_grad_buffer(W, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\(2, 3\) float32 for a parameter of \(2, 3\) float64"):
        set_grad_buffer(W, np.zeros((2, 3), np.float32))


def test_a_buffer_takes_one_gradient_until_it_is_registered_again():
    W, b, x = _params()
    buffer = np.zeros((4, 3))
    set_grad_buffer(W, buffer)
    F.sum(F.linear(x, W, b)).backward()
    first = W.grad.data
    assert first is buffer
    kept = buffer.copy()
    W.cleargrad()
    F.sum(F.linear(2 * x, W, b)).backward()  # micro-batches by hand: the first gradient is still held
    assert W.grad.data is not buffer
    np.testing.assert_array_equal(buffer, kept)
    np.testing.assert_allclose(W.grad.data, 2 * kept, rtol=1e-14)
