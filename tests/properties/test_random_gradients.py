"""Randomised gradient checks: every registered function's backward against central differences, on
inputs that hypothesis draws, and the elementwise and broadcasting functions on shapes it draws too.

The conformance suite checks each declared sample at one fixed draw; here each sample is redrawn
from seeds hypothesis picks (the declared shapes, value ranges and kinks kept), and the shapes of
the shape-polymorphic functions vary (0-d to 4-d, broadcasting). The examples are bounded and
derandomised, so every run checks the same draws, in a few seconds: a regression in any backward
shows here as a counterexample that hypothesis prints.
"""
from __future__ import annotations

import dataclasses
import zlib
from typing import Any, Callable

import numpy as np
import pytest

from dezero_core import Variable, functions as F, get_backend
from dezero_core.discovery.registry import registry
from dezero_core.testing import harness

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

NUMPY = get_backend("numpy")
FUNCTIONS = registry("dezero.functions")
#: one bounded, reproducible budget: the same examples in every run and on every machine
BOUNDED = settings(max_examples=4, derandomize=True, deadline=None, database=None, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
RTOL, ATOL = harness.TOLERANCES["backward"]["float64"]

DIFFERENTIABLE = [case for case in harness.cases(FUNCTIONS.names(), FUNCTIONS.get)
                  if case.check.grad and case.differentiable]
BY_NAME: dict[str, list[harness.Case]] = {}
for _case in DIFFERENTIABLE:
    BY_NAME.setdefault(_case.name, []).append(_case)


@pytest.mark.parametrize("name", sorted(BY_NAME))
@BOUNDED
@given(data=st.data())
def test_registered_gradient_matches_central_differences_on_random_draws(name: str, data: Any) -> None:
    case = data.draw(st.sampled_from(BY_NAME[name]), label="sample")
    # the same sample drawn afresh: Case seeds its inputs and output weights by (name, index)
    case = dataclasses.replace(case, index=data.draw(SEEDS, label="seed"))
    host = case.inputs("float64")
    _, grads = harness.first_gradients(case, NUMPY, host, "float64")
    expected = harness.numerical_gradients(harness.weighted_output(case, NUMPY), host, case.differentiable)
    for path, want in zip(case.differentiable, expected):
        got = grads[path]
        got = np.zeros_like(want) if got is None else np.asarray(got.data, dtype=np.float64)
        harness.assert_close_where_probed(got, want, RTOL, ATOL, f"{case.id}: gradient of {harness.describe(path)}")


# -- shapes drawn too: elementwise functions of any shape, binary functions of broadcasting shapes ---
#: name -> (function of one Variable, value range, kinks to keep away from)
UNARY: dict[str, tuple[Callable[[Any], Any], tuple[float, float], tuple[float, ...]]] = {
    "neg": (F.neg, (-3, 3), ()), "sin": (F.sin, (-3, 3), ()), "cos": (F.cos, (-3, 3), ()),
    "tanh": (F.tanh, (-3, 3), ()), "exp": (F.exp, (-3, 3), ()), "log": (F.log, (0.2, 3), ()),
    "sqrt": (F.sqrt, (0.2, 3), ()), "abs": (F.abs, (-3, 3), (0.0,)), "erf": (F.erf, (-3, 3), ()),
    "sigmoid": (F.sigmoid, (-8, 8), ()), "relu": (F.relu, (-3, 3), (0.0,)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), (-3, 3), (0.0,)), "gelu": (F.gelu, (-3, 3), ()),
    "silu": (F.silu, (-8, 8), ()), "softplus": (F.softplus, (-8, 8), ()), "elu": (F.elu, (-3, 3), (0.0,)),
    "clip": (lambda x: F.clip(x, -1.0, 1.0), (-3, 3), (-1.0, 1.0)), "pow": (lambda x: x ** 3, (-2, 2), ()),
    "rpow_scalar": (lambda x: 2.0 ** x, (-2, 2), ()), "sum": (F.sum, (-3, 3), ()), "mean": (F.mean, (-3, 3), ()),
    "logsumexp": (F.logsumexp, (-3, 3), ()), "var": (F.var, (-3, 3), ()),
}
#: name -> (function of two Variables, range of the first, range of the second)
BINARY: dict[str, tuple[Callable[[Any, Any], Any], tuple[float, float], tuple[float, float]]] = {
    "add": (F.add, (-3, 3), (-3, 3)), "sub": (F.sub, (-3, 3), (-3, 3)), "mul": (F.mul, (-3, 3), (-3, 3)),
    "div": (F.div, (-3, 3), (0.5, 3)), "power": (F.power, (0.5, 2), (-2, 2)),
    "maximum": (F.maximum, (-3, 3), (-3, 3)), "minimum": (F.minimum, (-3, 3), (-3, 3)),
}
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3)


def _values(seed: int, shape: tuple[int, ...], low: float, high: float, away: tuple[float, ...] = ()) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(low, high, shape)
    for point in away:  # 0.05 from a kink: the central differences (step 1e-6) never straddle it
        x = np.where(np.abs(x - point) < 0.05, point + np.where(x >= point, 0.05, -0.05), x)
    return x


def _check(fn: Callable[..., Any], xs: list[np.ndarray], seed: int) -> None:
    """fn's gradients of sum(w * fn(xs)) against central differences, in float64."""
    vs = [Variable(x.copy()) for x in xs]
    y = fn(*vs)
    w = np.random.default_rng(seed ^ 0x5EED).uniform(-1, 1, y.shape)
    y.grad = w
    y.backward()

    def scalar(args: list[np.ndarray]) -> float:
        return float(np.sum(np.asarray(fn(*args).data) * w))

    expected = harness.numerical_gradients(scalar, list(xs), [(i,) for i in range(len(xs))])
    for i, (v, want) in enumerate(zip(vs, expected)):
        got = np.zeros_like(want) if v.grad is None else v.grad.data
        assert got.shape == xs[i].shape, f"gradient of input {i} has shape {got.shape}, the input {xs[i].shape}"
        harness.assert_close_where_probed(got, want, RTOL, ATOL, f"gradient of input {i}")


@pytest.mark.parametrize("name", sorted(UNARY))
@BOUNDED
@given(shape=SHAPES, seed=SEEDS)
def test_elementwise_gradient_on_random_shapes(name: str, shape: tuple[int, ...], seed: int) -> None:
    fn, (low, high), away = UNARY[name]
    _check(fn, [_values(seed, shape, low, high, away)], seed)


@pytest.mark.parametrize("name", sorted(BINARY))
@BOUNDED
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), seed=SEEDS)
def test_broadcasting_gradient_on_random_shapes(name: str, shapes: Any, seed: int) -> None:
    fn, first, second = BINARY[name]
    a = _values(seed, shapes.input_shapes[0], *first)
    b = _values(zlib.crc32(str(seed).encode()), shapes.input_shapes[1], *second)
    if name in ("maximum", "minimum"):  # the gradient jumps where the two tie: draws near a tie are discarded
        gap = np.abs(np.broadcast_to(a, shapes.result_shape) - np.broadcast_to(b, shapes.result_shape))
        hypothesis.assume(bool(np.all(gap > 0.05)))
    _check(fn, [a, b], seed)


def test_every_differentiable_registered_function_is_drawn() -> None:
    assert len(BY_NAME) >= 60, sorted(BY_NAME)  # the registry's differentiable functions, not a handful
    assert {"conv2d", "deconv2d", "pooling", "batch_norm", "softmax_cross_entropy", "matmul"} <= set(BY_NAME)
