"""Symbolic definition: dz.symbol / dz.constant / dz.compile(symbols) / dz.grad, and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.layers import Linear
from dezero_core.static import SymbolValueError


def test_the_issue_example_adds_two_inputs_and_a_constant() -> None:
    a = dz.symbol("a")
    b = dz.symbol("b")
    c = a + b
    d = c + dz.constant(1)
    f = dz.compile(d)
    out = f(a=np.array(2.0), b=np.array(3.0))
    assert isinstance(out, dz.Variable)
    assert float(out.data) == 6.0
    assert f(np.array(1.0), np.array(1.0)).data == 3.0  # positionally, in definition order


def test_several_outputs_come_back_as_a_tuple() -> None:
    x = dz.symbol("x", (3,), "float64")
    f = dz.compile([F.sin(x), x * 2.0])
    s, d = f(x=np.array([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(s.data, np.sin([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(d.data, [0.0, 2.0, 4.0])


def test_a_layer_accepts_a_symbol_of_known_shape_and_initialises_from_it() -> None:
    dz.random.seed(0)
    layer = Linear(4)
    x = dz.symbol("x", (None, 3), "float32")
    with pytest.raises(SymbolValueError, match="no known shape"):
        layer(x)  # the lazy layer needs the input size
    x = dz.symbol("x", (2, 3), "float32")
    f = dz.compile(F.relu(layer(x)))
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(f(x=data).data, F.relu(layer(data)).data)
    assert [v.name for v in f.graph.params] == ["p0", "p1"] or len(f.graph.params) == 2


def test_symbolic_gradients_match_eager_gradients() -> None:
    x = dz.symbol("x", (4,), "float64")
    y = dz.symbol("y", (4,), "float64")
    z = F.sum(F.tanh(x) * y + x ** 2)
    gx, gy = dz.grad(z, [x, y])
    f = dz.compile([z, gx, gy])
    xv, yv = np.array([0.1, -0.5, 2.0, 0.0]), np.array([1.0, 2.0, -3.0, 0.5])
    value, gxv, gyv = f(x=xv, y=yv)
    ex, ey = dz.Variable(xv), dz.Variable(yv)
    ez = F.sum(F.tanh(ex) * ey + ex ** 2)
    ez.backward()
    assert value.data == ez.data
    np.testing.assert_array_equal(gxv.data, ex.grad.data)
    np.testing.assert_array_equal(gyv.data, ey.grad.data)


def test_a_gradient_checked_against_numerical_differences() -> None:
    x = dz.symbol("x", (3,), "float64")
    g = dz.grad(F.sum(F.exp(x) * F.sin(x)), x)
    f = dz.compile(g)
    xv = np.array([0.3, -1.2, 0.7])
    eps = 1e-6
    numeric = [(np.sum(np.exp(xv + e) * np.sin(xv + e)) - np.sum(np.exp(xv - e) * np.sin(xv - e))) / (2 * eps)
               for e in np.eye(3) * eps]
    np.testing.assert_allclose(f(x=xv).data, numeric, rtol=1e-7)


def test_the_graph_prints_as_readable_code() -> None:
    a = dz.symbol("a", (2,), "float32")
    f = dz.compile(F.exp(a) * 2.0, passes=())
    text = str(f.graph)
    assert text.splitlines()[0] == "graph(%a: input (2,) float32):"
    assert "= Exp(%a)" in text and "MulScalar" in text and text.splitlines()[-1].startswith("  return %")


def test_the_graph_draws_as_dot_text(tmp_path) -> None:
    a = dz.symbol("a", (2,), "float32")
    f = dz.compile(F.exp(a))
    path = f.graph.plot(str(tmp_path / "g.dot"))
    text = open(path).read()
    assert text.startswith("digraph g {") and '"Exp"' in text


@pytest.mark.parametrize("use, what", [
    (lambda y: bool(y.data > 0), "data >"),
    (lambda y: float(y), "float()"),
    (lambda y: np.asarray(y.data), "conversion to an array"),
    (lambda y: y.data.sum(), ".data.sum"),
])
def test_a_symbol_used_as_a_value_names_the_symbol_the_line_and_dz_cond(use, what) -> None:
    y = F.sin(dz.symbol("x", (2,), "float32"))
    with pytest.raises(SymbolValueError) as info:
        use(y)
    message = str(info.value)
    assert "the output of Sin" in message and what in message
    assert "test_symbolic.py:" in message and "dz.cond" in message


def test_calling_with_a_missing_argument_names_it() -> None:
    f = dz.compile(dz.symbol("a") + dz.symbol("b"))
    with pytest.raises(TypeError, match=r"missing input\(s\) b"):
        f(a=np.array(1.0))


def test_calling_with_a_misnamed_argument_suggests_the_name() -> None:
    f = dz.compile(dz.symbol("alpha") * 2.0)
    with pytest.raises(TypeError, match="no input named 'alpah'.*Did you mean 'alpha'"):
        f(alpah=np.array(1.0))


def test_calling_with_too_many_arguments_says_how_many_it_takes() -> None:
    f = dz.compile(dz.symbol("a") * 2.0)
    with pytest.raises(TypeError, match=r"takes 1 input\(s\) \(a\), got 2"):
        f(np.array(1.0), np.array(2.0))


def test_a_wrong_shape_or_dtype_names_the_symbol_and_what_it_expects() -> None:
    x = dz.symbol("x", (None, 3), "float32")
    f = dz.compile(x * 2.0)
    with pytest.raises(ValueError, match=r"input 'x' expects shape \(any, 3\), got \(2, 4\)"):
        f(x=np.zeros((2, 4), np.float32))
    with pytest.raises(TypeError, match="input 'x' expects dtype float32, got float64"):
        f(x=np.zeros((2, 3)))
    assert f(x=np.ones((5, 3), np.float32)).shape == (5, 3)


def test_a_symbol_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="Python identifier"):
        dz.symbol("not a name")


def test_differentiating_a_function_without_backward_names_it() -> None:
    class NoBackward(dz.Function):
        def forward(self, xp, x):
            return x * 2

    x = dz.symbol("x", (2,), "float64")
    with pytest.raises(TypeError, match="NoBackward has no array-level backward"):
        dz.grad(F.sum(NoBackward()(x)), x)


def test_a_symbolic_graph_runs_on_the_strict_backend_too() -> None:
    strict = pytest.importorskip("array_api_strict")
    backend = dz.get_backend("strict")
    x = dz.symbol("x", dtype="float64")
    f = dz.compile(F.exp(x) + x)
    out = f(x=backend.from_host(np.array([0.0, 1.0])))
    assert type(out.data).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(backend.to_host(out.data), np.exp([0.0, 1.0]) + [0.0, 1.0])
    assert strict is not None
