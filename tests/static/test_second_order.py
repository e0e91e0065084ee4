"""Gradients of gradients in static graphs: ``dz.grad`` of a ``dz.grad``, for every function that
declares second derivatives (``@checked(double_grad=True)``), against eager ``create_graph`` and
against numerical differences."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.discovery import registry
from dezero_core.graph.function import Function
from dezero_core.testing import harness
from static_helpers import numerical_grad

FUNCTIONS = registry("dezero.functions")
DOUBLE = [case for case in harness.cases(FUNCTIONS.names(), FUNCTIONS.get)
          if case.index == 0 and case.check.double_grad and case.differentiable and not case.check.random]


def weighted(outputs, ws, as_array):
    """``sum_k sum(w_k * y_k)`` over the outputs with a weight."""
    total = None
    for y, w in zip(outputs, ws):
        if w is not None:
            term = F.sum(F.mul(y, as_array(w)))
            total = term if total is None else F.add(total, term)
    return total


def second_derivative_program(case, backend, host):
    """``(symbols, d/dx sum_j <dL/dx_j, v_j>)`` for ``L = sum_k <w_k, y_k>``, built symbolically."""
    paths = case.differentiable
    symbols = {p: dz.symbol(f"x{i}", harness.at(host, p).shape, "float64") for i, p in enumerate(paths)}
    args = harness.map_leaves(host, lambda p, a: symbols[p] if p in symbols
                              else backend.from_host(a) if isinstance(a, np.ndarray) else a)
    out = case.fn(*args, **case.sample.kwargs)
    outputs = list(out) if isinstance(out, (tuple, list)) else [out]
    ws = case.weights([np.zeros(tuple(y.shape), np.float64 if "float" in str(y.dtype) else np.int64)
                       for y in outputs])
    constant = lambda w: dz.constant(backend.from_host(w))  # noqa: E731
    grads = dz.grad(weighted(outputs, ws, constant), [symbols[p] for p in paths])
    vs = case.directions(host)
    total = weighted(grads, [vs[p] if g is not None else None for p, g in zip(paths, grads)], constant)
    return symbols, dz.grad(total, [symbols[p] for p in paths])


def eager_second_derivative(case, backend, host):
    variables, grads = harness.first_gradients(case, backend, host, "float64", create_graph=True)
    for v in variables.values():
        v.cleargrad()
    vs = case.directions(host)
    paths = case.differentiable
    weighted([grads[p] for p in paths], [vs[p] if grads[p] is not None else None for p in paths],
             backend.from_host).backward()
    return [variables[p].grad for p in paths]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a symbol's example (ones) makes std divide by 0
@pytest.mark.parametrize("case", DOUBLE, ids=[case.id for case in DOUBLE])
def test_a_compiled_second_derivative_equals_eager_create_graph(dezero_backend, case) -> None:
    backend = dezero_backend
    host = case.inputs("float64")
    symbols, second = second_derivative_program(case, backend, host)
    found = [s for s in second if s is not None]
    feeds = {s.name: backend.from_host(harness.at(host, p)) for p, s in symbols.items()}
    got = iter(dz.compile(found)(**feeds) if found else ())
    for p, want, g in zip(case.differentiable, eager_second_derivative(case, backend, host), second):
        if g is None:  # no path from the gradient back to this input: eager leaves it zero or None
            assert want is None or not np.any(backend.to_host(want.data)), harness.describe(p)
            continue
        np.testing.assert_allclose(backend.to_host(next(got).data), backend.to_host(want.data), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{case.id} {harness.describe(p)}")


def test_the_gradient_of_a_gradient_matches_numerical_differences() -> None:
    # y = sum(tanh(x) * x^2 / (1 + x^2)); the first gradient compiled, then differentiated again
    x = dz.symbol("x", (4,), "float64")
    y = F.sum(F.tanh(x) * x ** 2 / (x * x + 1.0))
    g = dz.grad(y, x)
    v = np.array([0.5, -1.0, 2.0, 0.25])
    gg = dz.grad(F.sum(g * dz.constant(v)), x)
    first, second = dz.compile(g), dz.compile(gg)
    xv = np.array([0.3, -0.7, 1.1, 0.05])
    np.testing.assert_allclose(second(x=xv).data,
                               numerical_grad(lambda a: float(np.sum(first(x=a).data * v)), xv), rtol=1e-7)


def test_a_third_derivative_too() -> None:
    x = dz.symbol("x", (3,), "float64")
    d1 = dz.grad(F.sum(F.sin(x) * x), x)  # sin x + x cos x
    d3 = dz.grad(F.sum(dz.grad(F.sum(d1), x)), x)  # -3 sin x - x cos x
    xv = np.array([0.2, 1.0, -2.0])
    np.testing.assert_allclose(dz.compile(d3)(x=xv).data, -3 * np.sin(xv) - xv * np.cos(xv), rtol=1e-12)


@pytest.mark.parametrize("loss_fn", [
    lambda y, t: F.sum(F.tanh(y) ** 2),
    # its backward builds the one-hot target from the labels with array operators (t == classes):
    # recorded again on symbolic labels, they become ArrayCall nodes
    F.softmax_cross_entropy,
], ids=["tanh", "softmax_cross_entropy"])
def test_a_training_step_with_a_gradient_penalty_equals_eager(loss_fn) -> None:
    # loss + |d loss / d W|^2: the parameter's gradient is differentiated again inside the step
    from dezero_core.layers import Linear

    def run(compiled: bool) -> list[float]:
        dz.random.seed(0)
        layer = Linear(3, in_size=4, dtype=np.float64)
        optimizer = dz.optimizers.SGD(0.1).setup(layer)

        def step(x, t):
            layer.cleargrads()
            loss = loss_fn(layer(x), t)
            loss.backward(create_graph=True)
            penalty = F.sum(layer.W.grad ** 2)
            layer.cleargrads()
            (loss + penalty).backward()
            optimizer.update()
            return loss + penalty

        fn = dz.compile(step, fullgraph=True) if compiled else step
        rng = np.random.default_rng(3)
        losses = [float(fn(rng.standard_normal((2, 4)), rng.integers(0, 3, 2)).data) for _ in range(4)]
        return losses + layer.W.data.ravel().tolist()

    np.testing.assert_allclose(run(True), run(False), rtol=1e-12)


class NoDoubleBackward(Function):
    """Differentiable once: its backward computes on arrays with numpy itself."""

    def forward(self, xp, x):
        return x * x

    def backward(self, xp, xs, y, gy):
        return gy * np.multiply(xs[0], 2.0)


def test_a_function_whose_backward_is_not_differentiable_is_named() -> None:
    x = dz.symbol("x", (2,), "float64")
    g = dz.grad(F.sum(NoDoubleBackward()(x)), x)
    np.testing.assert_array_equal(dz.compile(g)(x=np.array([1.0, 3.0])).data, [2.0, 6.0])
    with pytest.raises(NotImplementedError, match="a gradient of a gradient through NoDoubleBackward is not "
                                                  "supported.*double_grad"):
        dz.grad(F.sum(g), x)


def test_an_arguments_grad_is_written_after_every_call_as_in_eager() -> None:
    def f(x, w):
        y = F.sum(F.sin(x) * w)
        y.backward()
        return y

    compiled = dz.compile(f)
    w = np.array([1.0, 2.0, 3.0])
    for xv in (np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0, 0.5]), np.array([2.0, 0.0, -0.3])):
        x_eager, x_compiled = dz.Variable(xv.copy()), dz.Variable(xv.copy())
        f(x_eager, w)
        compiled(x_compiled, w)
        np.testing.assert_array_equal(x_compiled.grad.data, x_eager.grad.data)
        np.testing.assert_array_equal(x_compiled.grad.data, np.cos(xv) * w)
        f(x_eager, w)  # no cleargrad: the second call adds to it, in both modes
        compiled(x_compiled, w)
        np.testing.assert_array_equal(x_compiled.grad.data, x_eager.grad.data)
    assert compiled._traces == 1


def test_an_arguments_grad_read_inside_the_traced_function() -> None:
    def f(x):
        F.sum(x ** 3).backward()
        return x.grad * 2.0  # 6 x^2

    compiled = dz.compile(f, fullgraph=True)
    for xv in (np.array([1.0, 2.0]), np.array([-3.0, 0.5])):
        np.testing.assert_array_equal(compiled(dz.Variable(xv)).data, 6.0 * xv ** 2)


def test_a_second_derivative_graph_saves_and_loads(tmp_path) -> None:
    # relu's backward casts a mask on arrays: recorded as an ArrayCall node, which saves as data
    x = dz.symbol("x", (4,), "float64")
    g = dz.grad(F.sum(F.relu(x) ** 3), x)
    gg = dz.grad(F.sum(g), x)  # 6 relu(x)
    f = dz.compile(gg)
    assert "ArrayCall" in [n.op for n in f.graph.nodes]
    f.save(tmp_path / "gg.dzg")
    xv = np.array([-1.0, 0.5, 2.0, -0.1])
    np.testing.assert_array_equal(dz.load_compiled(tmp_path / "gg.dzg")(x=xv).data, 6 * np.maximum(xv, 0))
