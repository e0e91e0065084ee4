"""Product chains of small elementwise programs computed as one cumulative product, equal to the
chain of multiplications to the bit."""
from __future__ import annotations

import numpy as np

import dezero_core as dz
import dezero_core.functions as F
from dezero_core import get_backend
from dezero_core.backend.elementwise import ElementwiseProgram, Step
from dezero_core.static.passes.fused_ops import _unfused
from dezero_core.static.passes.product_chains import MIN_LINKS, find_chains

XP = get_backend("numpy").ops


def backward_chain(n: int, out_at: int | None = None, dtype: str = "float32") -> ElementwiseProgram:
    """``g * cos(x0) * 1.0001 * x1 * x1 * sin(x2) ...``: the backward of a chain of functions, its
    factors a derivative of an input, a constant and an input, in turn; ``out_at``: a link whose
    result the program also returns (read outside the chain)."""
    steps, prev = [], "g"
    for i in range(n):
        kind = i % 4
        if kind == 0:
            steps.append(Step(f"d{i}", "cos" if i % 8 else "sin", (f"x{i % 3}",)))
            factor = f"d{i}"
        else:
            factor = 1.0001 if kind == 1 else f"x{(i // 4) % 3}"
        steps.append(Step(f"t{i}", "multiply", (prev, factor) if i % 2 else (factor, prev)))
        prev = f"t{i}"
    outputs = (prev,) if out_at is None else (f"t{out_at}", prev)
    return ElementwiseProgram(("g", "x0", "x1", "x2"), ((5,),) * 4, tuple(steps), outputs, (5,), dtype)


def run_both(program: ElementwiseProgram) -> tuple[tuple, tuple]:
    rng = np.random.default_rng(0)
    arrays = [(rng.standard_normal(5) * 1.5).astype(program.dtype) for _ in program.inputs]
    return _unfused(XP, program)(*arrays), program.evaluate(XP, *arrays)


def test_a_long_product_chain_is_found_with_its_derivatives_and_equals_the_multiplications() -> None:
    program = backward_chain(40)
    chains = find_chains(program, lambda name: hasattr(XP, name))
    assert len(chains) == 1 and len(chains[0].links) == 40 and chains[0].start == "g"
    assert len(chains[0].hoisted) == 10  # each sin/cos is computed inside the chain, with its group
    for dtype in ("float32", "float64"):
        got, want = run_both(backward_chain(40, dtype=dtype))
        np.testing.assert_array_equal(got[0], want[0])
        assert got[0].dtype == want[0].dtype


def test_a_chain_stops_at_a_value_read_outside_it() -> None:
    program = backward_chain(40, out_at=19)
    chains = find_chains(program, lambda name: hasattr(XP, name))
    assert [len(c.links) for c in chains] == [20, 20]
    got, want = run_both(program)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_short_chains_and_namespaces_without_a_cumulative_product_keep_the_multiplications() -> None:
    assert find_chains(backward_chain(MIN_LINKS - 1), lambda name: hasattr(XP, name)) == []
    assert find_chains(backward_chain(40), lambda name: name != "cumulative_prod") == []


def test_the_gradient_of_a_chain_of_1000_functions_equals_the_unfused_graph_bit_for_bit() -> None:
    x = dz.symbol("x", (10,), "float32")
    y = x
    for i in range(1000):
        y = F.sin(y) if i % 2 else y * 1.0001
    loss = F.sum(y)
    outputs = [loss, dz.grad(loss, x)]
    x0 = np.random.default_rng(0).standard_normal(10).astype(np.float32)
    fused = dz.compile(outputs)(x=x0)
    plain = dz.compile(outputs, passes=["dce"])(x=x0)
    for a, b in zip(fused, plain):
        np.testing.assert_array_equal(a.data, b.data)
    x64 = x0.astype(np.float64)  # against the derivative computed here, factor by factor
    xs, v = [], x64
    for i in range(1000):
        xs.append(v)
        v = np.sin(v) if i % 2 else v * 1.0001
    expected = np.ones(10)
    for i in reversed(range(1000)):
        expected = expected * (np.cos(xs[i]) if i % 2 else 1.0001)
    np.testing.assert_allclose(fused[1].data, expected, rtol=1e-3)


class WideProducts:
    """The numpy namespace with a cumulative product that accumulates in float64 and rounds once
    (as PyTorch's float32 cumprod does)."""

    def __getattr__(self, name):
        return getattr(XP, name)

    def cumulative_prod(self, x, axis=0):
        return np.cumulative_prod(x.astype(np.float64), axis=axis).astype(x.dtype)


def test_a_cumulative_product_that_rounds_otherwise_is_probed_and_not_used() -> None:
    from dezero_core.static.passes.product_chains import multiplies_row_by_row

    wide = WideProducts()
    assert multiplies_row_by_row(XP, "float32") and not multiplies_row_by_row(wide, "float32")
    program = backward_chain(40)
    rng = np.random.default_rng(0)
    arrays = [(rng.standard_normal(5) * 1.5).astype(np.float32) for _ in program.inputs]
    got = _unfused(wide, program)(*arrays)
    np.testing.assert_array_equal(got[0], program.evaluate(XP, *arrays)[0])
