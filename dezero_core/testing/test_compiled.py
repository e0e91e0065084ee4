"""Compiled mode: every registered function's compiled forward and backward equal its eager ones.

For the first sample each function declares (``@checked``), in float32, one function of the
sample's arrays computes the outputs and the gradients of ``sum_k sum(w_k * y_k)`` (fixed random
weights ``w_k``) w.r.t. the differentiable inputs. It runs eagerly, then through ``dz.compile``
twice: the tracing call and a replay of the graph (with the default passes), both on the backend
under test. Random functions are reseeded before each run, so the three draw the same numbers.
Every function must trace without a graph break: integer and boolean results (argmax, one_hot,
the comparisons, accuracy) are graph nodes too, and a function that reads its inputs' values in
Python fails here, naming the line that reads them.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dezero_core.discovery import registry
from dezero_core.testing import harness
from dezero_core.testing.harness import Case, data_of
from dezero_core.testing.test_functions import _skip_unsupported, checked_names

FUNCTIONS = registry("dezero.functions")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = [name for name, why in checked_names() if not why]
    # each function's first sample, in float32: what the eager checks of this suite verify sample by
    # sample and dtype by dtype, compiled mode only has to reproduce (and the suite stays fast)
    params = [pytest.param("float32", case, id=f"float32-{case.id}")
              for case in harness.cases(names, FUNCTIONS.get) if case.index == 0]
    metafunc.parametrize("dtype,case", params)


def _program(case: Case, backend: Any, host: list[Any], dtype: str) -> tuple[Any, Any, list[Any]]:
    """``(fn, eager, arrays)``: ``fn(*arrays)`` (to compile) and ``eager(*arrays)`` return the outputs
    and the gradients of the weighted sum of the outputs w.r.t. the differentiable inputs."""
    import dezero_core.functions as F
    from dezero_core.graph.variable import Variable

    # the differentiable inputs are the compiled function's arguments (Variables: they need a
    # gradient); the other arrays (labels, masks, running averages) are captured, as a model's are
    paths = list(case.differentiable)
    # a function of integer inputs only (one_hot) computes from its arguments: they are the inputs
    others = [] if paths else [p for p, a in harness.leaves(host) if isinstance(a, np.ndarray)]
    arrays = [Variable(backend.from_host(harness.at(host, p))) for p in paths]
    arrays += [backend.from_host(harness.at(host, p)) for p in others]
    fixed = {p: backend.from_host(a) for p, a in harness.leaves(host)
             if isinstance(a, np.ndarray) and p not in paths and p not in others}

    def fn(*given: Any) -> tuple[list[Any], list[Any]]:
        import dezero_core

        by_path = {**fixed, **dict(zip(paths + others, given))}
        args = harness.map_leaves(host, lambda p, a: by_path[p] if p in by_path else a)
        out = case.fn(*args, **case.sample.kwargs)  # (reseeded around each call: a replay runs no Python)
        outputs = list(out) if isinstance(out, (tuple, list)) else [out]
        total = weighted_sum(outputs)
        wrt = list(given[:len(paths)])
        gs = dezero_core.grad(total, wrt) if (total is not None and wrt) else []
        return outputs, list(gs)

    def weighted_sum(outputs: list[Any]) -> Any:
        """sum_k sum(w_k * y_k) over the float outputs (None when there is none)."""
        like = [np.zeros(tuple(y.shape), np.float64 if "float" in str(y.dtype) else np.int64) for y in outputs]
        total = None
        for y, w in zip(outputs, case.weights(like)):
            if w is not None:
                term = F.sum(F.mul(y, backend.from_host(w.astype(dtype))))
                total = term if total is None else F.add(total, term)
        return total

    def eager(*given: Any) -> tuple[list[Any], list[Any]]:
        variables = [Variable(a.data) for a in given[:len(paths)]]
        by_path = {**fixed, **dict(zip(paths + others, [*variables, *given[len(paths):]]))}
        args = harness.map_leaves(host, lambda p, a: by_path[p] if p in by_path else a)
        with harness.reseeded(case.check):
            out = case.fn(*args, **case.sample.kwargs)
        outputs = list(out) if isinstance(out, (tuple, list)) else [out]
        total = weighted_sum(outputs)
        if total is not None:
            total.backward()
        return outputs, [v.grad for v in variables] if total is not None else []

    return fn, eager, arrays


def test_compiled_equals_eager(dezero_backend: Any, dtype: str, case: Case) -> None:
    _skip_unsupported(dezero_backend, dtype, case)
    import dezero_core
    from dezero_core.backend.selection import using_backend
    from dezero_core.static import GraphBreakError

    host = case.inputs(dtype)
    fn, eager, arrays = _program(case, dezero_backend, host, dtype)
    with using_backend(dezero_backend.name):
        want_out, want_grads = eager(*arrays)
        compiled = dezero_core.compile(fn, fullgraph=True)
        runs = []
        try:
            for _ in range(2):  # the tracing call, then a replay
                with harness.reseeded(case.check):
                    runs.append(compiled(*arrays))
        except GraphBreakError as exc:
            pytest.fail(f"{case.name} breaks the graph: it reads its inputs' values at {exc.where}. Compute "
                        f"it in a Function's forward (array level), which a trace records as a node")
    rtol = 1e-6 if dtype == "float32" else 1e-13
    for which, (outs, grads) in zip(("traced", "replayed"), runs):
        assert len(outs) == len(want_out)
        for k, (got, want) in enumerate(zip(outs, want_out)):
            _same(dezero_backend, got, want, rtol, f"{case.name} output {k} ({dtype}, {which})")
        for k, (got, want) in enumerate(zip(grads, want_grads)):
            _same(dezero_backend, got, want, rtol, f"{case.name} gradient {k} ({dtype}, {which})")


def _same(backend: Any, got: Any, want: Any, rtol: float, what: str) -> None:
    if want is None:
        assert got is None or not np.any(backend.to_host(data_of(got))), f"{what}: eager has no gradient"
        return
    a, b = backend.to_host(data_of(got)), backend.to_host(data_of(want))
    assert a.shape == b.shape and a.dtype == b.dtype, f"{what}: {a.shape} {a.dtype} vs eager {b.shape} {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-3, err_msg=f"{what}: compiled vs eager")
