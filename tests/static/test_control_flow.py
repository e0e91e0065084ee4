"""dz.cond and dz.while_loop: values decided when the graph runs, gradients against numerical ones."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.layers import Linear
from dezero_core.optimizers import SGD
from static_helpers import numerical_grad


def branchy(x: np.ndarray) -> float:
    """The function the graphs below compute, in numpy."""
    return float(np.sum(np.sin(x) * 3.0)) if np.sum(x) > 0 else float(np.sum(x ** 2))


def test_cond_takes_the_branch_the_predicate_chooses_when_the_graph_runs() -> None:
    x = dz.symbol("x", (3,), "float64")
    y = dz.cond(F.sum(x) > 0, lambda a: F.sum(F.sin(a) * 3.0), lambda a: F.sum(a ** 2), x)
    f = dz.compile(y)
    for xv in (np.array([0.5, 1.0, -0.2]), np.array([-0.5, -1.0, 0.2])):
        assert float(f(x=xv).data) == pytest.approx(branchy(xv), rel=1e-15)


@pytest.mark.parametrize("xv", [np.array([0.5, 1.0, -0.2]), np.array([-0.5, -1.0, 0.2])], ids=["true", "false"])
def test_the_gradient_of_cond_flows_through_the_branch_taken(xv) -> None:
    x = dz.symbol("x", (3,), "float64")
    y = dz.cond(F.sum(x) > 0, lambda a: F.sum(F.sin(a) * 3.0), lambda a: F.sum(a ** 2), x)
    g = dz.compile(dz.grad(y, x))
    np.testing.assert_allclose(g(x=xv).data, numerical_grad(branchy, xv), rtol=1e-7)


def test_a_traced_function_with_cond_compiles_instead_of_breaking() -> None:
    f = dz.compile(lambda x: dz.cond(F.sum(x) > 0, lambda a: a * 2.0, lambda a: -a, x), fullgraph=True)
    np.testing.assert_array_equal(f(dz.Variable(np.array([1.0, 2.0]))).data, [2.0, 4.0])
    np.testing.assert_array_equal(f(dz.Variable(np.array([-1.0, -2.0]))).data, [1.0, 2.0])  # a replay


def test_cond_on_concrete_values_runs_one_branch_eagerly() -> None:
    x = dz.Variable(np.array([1.0, -3.0]))
    y = dz.cond(F.sum(x) > 0, lambda a: a * 2.0, lambda a: a * 5.0, x)
    F.sum(y).backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


def test_branches_returning_different_shapes_are_an_error() -> None:
    x = dz.symbol("x", (3,), "float64")
    with pytest.raises(ValueError, match=r"same shapes and dtypes; true_fn returns \[\(\(3,\), 'float64'\)\]"):
        dz.cond(F.sum(x) > 0, lambda a: a, lambda a: F.sum(a), x)


def grow(x: np.ndarray) -> tuple[np.ndarray, int]:
    k = 0
    while np.sum(x) < 10.0:
        x = x * 1.5 + 0.25
        k += 1
    return x, k


def test_while_loop_runs_until_the_condition_fails_when_the_graph_runs() -> None:
    x = dz.symbol("x", (2,), "float64")
    f = dz.compile(dz.while_loop(lambda a: F.sum(a) < 10.0, lambda a: a * 1.5 + 0.25, x))
    for xv in (np.array([0.5, 0.25]), np.array([3.0, 4.0]), np.array([20.0, 1.0])):
        np.testing.assert_allclose(f(x=xv).data, grow(xv)[0], rtol=1e-15)


def test_the_gradient_of_while_loop_flows_back_through_every_iteration() -> None:
    x = dz.symbol("x", (2,), "float64")
    y = dz.while_loop(lambda a: F.sum(a) < 10.0, lambda a: F.sin(a) + a * 1.5, x)
    g = dz.compile(dz.grad(F.sum(y * y), x))

    def numpy_f(xv):
        while np.sum(xv) < 10.0:
            xv = np.sin(xv) + xv * 1.5
        return float(np.sum(xv * xv))

    for xv in (np.array([0.5, 0.3]), np.array([2.0, 1.0])):
        np.testing.assert_allclose(g(x=xv).data, numerical_grad(numpy_f, xv), rtol=1e-6)


def test_a_layer_inside_a_branch_gets_its_gradient() -> None:
    dz.random.seed(0)
    layer = Linear(2, in_size=2)
    optimizer = SGD(0.1).setup(layer)
    x = np.array([[1.0, 2.0]], np.float32)

    def step(x):
        layer.cleargrads()
        loss = F.sum(dz.cond(F.sum(x) > 0, lambda a: layer(a), lambda a: a * 0.0, x))
        loss.backward()
        optimizer.update()
        return loss

    eager_w = layer.W.data.copy()
    dz.compile(step)(dz.Variable(x))
    np.testing.assert_allclose(layer.W.data, eager_w - 0.1 * x.T @ np.ones((1, 2), np.float32))


def _reloaded(f, tmp_path):
    f.save(tmp_path / "g.dzg")
    return dz.load_compiled(tmp_path / "g.dzg")


def test_cond_and_its_gradient_save_and_load(tmp_path) -> None:
    x = dz.symbol("x", (3,), "float64")
    y = dz.cond(F.sum(x) > 0, lambda a: F.sum(F.sin(a) * 3.0), lambda a: F.sum(a ** 2), x)
    f = dz.compile([y, dz.grad(y, x)])
    g = _reloaded(f, tmp_path)
    for xv in (np.array([0.5, 1.0, -0.2]), np.array([-0.5, -1.0, 0.2])):
        (y1, g1), (y2, g2) = f(x=xv), g(x=xv)
        assert float(y2.data) == pytest.approx(branchy(xv), rel=1e-15)
        np.testing.assert_array_equal(y2.data, y1.data)
        np.testing.assert_array_equal(g2.data, g1.data)
        np.testing.assert_allclose(g2.data, numerical_grad(branchy, xv), rtol=1e-7)


def test_while_loop_and_its_gradient_save_and_load(tmp_path) -> None:
    x = dz.symbol("x", (2,), "float64")
    y = dz.while_loop(lambda a: F.sum(a) < 10.0, lambda a: a * 1.5 + 0.25, x)
    f = dz.compile([y, dz.grad(F.sum(y * y), x)])
    g = _reloaded(f, tmp_path)
    for xv in (np.array([0.5, 0.25]), np.array([3.0, 4.0]), np.array([20.0, 1.0])):
        (y1, g1), (y2, g2) = f(x=xv), g(x=xv)
        np.testing.assert_allclose(y2.data, grow(xv)[0], rtol=1e-15)
        np.testing.assert_array_equal(y2.data, y1.data)
        np.testing.assert_array_equal(g2.data, g1.data)
        np.testing.assert_allclose(g2.data, 2 * grow(xv)[0] * 1.5 ** grow(xv)[1], rtol=1e-12)


def test_a_training_step_through_cond_saves_and_continues_alike(tmp_path) -> None:
    # the layer's parameters are read inside the branch's own graph and updated by the step: the
    # loaded graph must share one Parameter between them, or it would train a copy it never reads
    dz.random.seed(0)
    layer = Linear(2, in_size=2)
    optimizer = SGD(0.1).setup(layer)

    def step(x):
        layer.cleargrads()
        loss = F.sum(dz.cond(F.sum(x) > 0, lambda a: layer(a) ** 2, lambda a: a * 0.0, x))
        loss.backward()
        optimizer.update()
        return loss

    compiled = dz.compile(step)
    xs = [np.array([[1.0, 2.0]], np.float32), np.array([[-1.0, -2.0]], np.float32), np.array([[0.5, 0.1]], np.float32)]
    compiled(xs[0])
    loaded = _reloaded(compiled, tmp_path)
    for x in xs * 2:
        np.testing.assert_array_equal(loaded(x).data, compiled(x).data)
    np.testing.assert_array_equal(loaded.parameters["W"].data, layer.W.data)
    np.testing.assert_array_equal(loaded.parameters["b"].data, layer.b.data)
    assert loaded.optimizers[0].t == optimizer.t == 7
