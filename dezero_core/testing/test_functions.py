"""Every registered function (built-in or plugin) on the backend under test.

For each sample a function declares with ``@checked`` and each float dtype: the forward against an
independent reference, the output dtype, the backward against central differences taken in float64,
and, where declared, the second derivative through ``backward(create_graph=True)``.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from dezero_core.discovery import registry
from dezero_core.discovery.registry import DISABLED_ENV
from dezero_core.graph.variable import Variable
from dezero_core.testing import harness
from dezero_core.testing.harness import Case, data_of
from dezero_core.testing.references import REFERENCES
from dezero_core.functions.spec import check_of

FUNCTIONS = registry("dezero.functions")


#: which samples each test runs on: a test is generated only where it checks something
SELECTS = {
    "test_forward": lambda case: True,
    "test_backward": lambda case: case.check.grad and bool(case.differentiable),
    "test_double_backward": lambda case: case.check.double_grad and bool(case.differentiable),
}


def checked_names() -> list[tuple[str, str | None]]:
    """``(name, skip reason or None)`` for every registered function: the suite never loses one silently.

    A name several distributions claim appears bare (its lookup raises the conflict: a failure) and
    once per claimant as ``dist:name`` (each is checked); a disabled entry appears as ``dist:name``
    with the reason its checks do not run (a skip the summary lists).
    """
    conflicts = FUNCTIONS.conflicts()
    found: list[tuple[str, str | None]] = []
    for name in FUNCTIONS.names():
        found.append((name, None))
        found += [(entry.qualified_name, None) for entry in conflicts.get(name, ())]
    found += [(entry.qualified_name, f"{entry.qualified_name} is disabled by {DISABLED_ENV}="
                                     f"{os.environ.get(DISABLED_ENV, '')}: its checks do not run")
              for entry in FUNCTIONS.entries(include_disabled=True) if entry.disabled]
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = checked_names()
    skipped = [pytest.param(name, id=name, marks=pytest.mark.skip(reason=why)) for name, why in names if why]
    if "function_name" in metafunc.fixturenames:
        metafunc.parametrize("function_name", [name for name, why in names if not why] + skipped)
    if "case" in metafunc.fixturenames:
        selects = SELECTS[metafunc.function.__name__]
        params = [pytest.param(dtype, case, id=f"{dtype}-{case.id}")
                  for case in harness.cases([name for name, why in names if not why], FUNCTIONS.get)
                  if selects(case)
                  for dtype in (harness.FLOAT_DTYPES if case.has_float_input else ("float32",))]
        params += [pytest.param(None, None, id=p.id, marks=p.marks) for p in skipped]
        metafunc.parametrize("dtype,case", params)


def test_declares_samples(function_name: str) -> None:
    fn = FUNCTIONS.get(function_name)
    check = check_of(fn)
    assert check is not None, (
        f"function {function_name!r} ({FUNCTIONS.entry(function_name).value}) has no conformance "
        f"samples: declare samples with @checked(...) from dezero_core.functions.spec")
    assert check.samples, f"function {function_name!r} declares @checked() with no sample"


def test_forward(dezero_backend: Any, dtype: str, case: Case) -> None:
    _skip_unsupported(dezero_backend, dtype, case)
    host = case.inputs(dtype)
    _, outputs = harness.call(case, dezero_backend, host)
    for k, y in enumerate(outputs):
        assert isinstance(y, Variable), f"{case.name} output {k} is a {type(y).__name__}, not a Variable"
        assert dezero_backend.owns(y.data), (
            f"{case.name} output {k} is a {type(y.data).__name__}, not an array of {dezero_backend.name}")
        got_dtype = harness.host_dtype_name(dezero_backend, y.data)
        if np.dtype(got_dtype).kind == "f" and case.has_float_input:
            assert got_dtype == dtype, (f"{case.name} turned {dtype} inputs into a {got_dtype} output {k}: keep "
                                        f"the input's float dtype (no float64 constants, Python scalars only)")
    expected = _expected(dezero_backend, dtype, case, host)
    rtol, atol = harness.tolerance("forward", dtype, case.check)
    assert len(outputs) == len(expected), f"{case.name} returned {len(outputs)} outputs, the reference {len(expected)}"
    for k, (y, want) in enumerate(zip(outputs, expected)):
        got = dezero_backend.to_host(data_of(y))
        want = np.asarray(want)
        assert got.shape == want.shape, f"{case.name} output {k}: shape {got.shape}, expected {want.shape}"
        np.testing.assert_allclose(got.astype(want.dtype) if want.dtype.kind == "f" else got, want,
                                   rtol=rtol, atol=atol, err_msg=f"{case.name} output {k} ({dtype})")


def test_backward(dezero_backend: Any, dtype: str, case: Case) -> None:
    _skip_unsupported(dezero_backend, dtype, case)
    host = case.inputs(dtype)
    _, grads = harness.first_gradients(case, dezero_backend, host, dtype)
    numeric_backend = harness.float64_backend(dezero_backend)
    expected = harness.numerical_gradients(harness.weighted_output(case, numeric_backend),
                                           harness.as_float64(host), case.differentiable)
    rtol, atol = harness.tolerance("backward", dtype, case.check)
    for path, want in zip(case.differentiable, expected):
        got = _gradient(dezero_backend, grads[path], want, case, path, dtype)
        harness.assert_close_where_probed(got, want, rtol, atol, f"gradient of {case.name} w.r.t. "
                                          f"{harness.describe(path)} ({dtype}) vs central differences")


def test_double_backward(dezero_backend: Any, dtype: str, case: Case) -> None:
    _skip_unsupported(dezero_backend, dtype, case)
    from dezero_core import functions as F

    host = case.inputs(dtype)
    vs = case.directions(host)
    variables, grads = harness.first_gradients(case, dezero_backend, host, dtype, create_graph=True)
    for v in variables.values():
        v.cleargrad()
    # d/dx sum_j <grad_j, v_j>: the second derivative along v, through the recorded backward
    total = None
    for path, v in vs.items():
        if grads[path] is not None:
            term = F.sum(F.mul(grads[path], dezero_backend.from_host(v.astype(dtype))))
            total = term if total is None else F.add(total, term)
    if total is not None:
        total.backward()
    # checked along a few random directions u: <d/dx sum_j <grad_j, v_j>, u>, numerically and by backward
    second = {p: _gradient(dezero_backend, variables[p].grad, v, case, p, dtype) for p, v in vs.items()}
    us = [case.directions(host, salt=f"u{k}") for k in range(harness.SECOND_ORDER_DIRECTIONS)]
    got = [sum(np.sum(second[p] * u[p]) for p in u) for u in us]
    expected = harness.directional_derivatives(
        harness.weighted_gradient(case, harness.float64_backend(dezero_backend), vs), harness.as_float64(host), us)
    rtol, atol = harness.tolerance("double_backward", dtype, case.check)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                               err_msg=f"second derivative of {case.name} ({dtype}) through backward(create_graph="
                                       f"True), along {len(us)} random directions, vs central differences")


# -- helpers ----------------------------------------------------------------------------------------
def _skip_unsupported(backend: Any, dtype: str, case: Case) -> None:
    for key in (dtype, f"op:{case.name}"):
        if key in backend.unsupported:
            pytest.skip(f"{backend.name} does not support {key}: {backend.unsupported[key]}")


def _gradient(backend: Any, grad: Any, like: np.ndarray, case: Case, path: harness.Path,
              dtype: str) -> np.ndarray:
    """A computed gradient on the host as float64, after checking its backend, dtype and shape.

    A missing gradient (None) stands for zeros: the comparison then fails unless they are.
    """
    if grad is None:
        return np.zeros_like(like)
    array = data_of(grad)
    which = f"gradient of {case.name} {harness.describe(path)}"
    assert backend.owns(array), f"{which} is a {type(array).__name__}, not an array of {backend.name}"
    got = backend.to_host(array)
    assert got.dtype.name == dtype, f"{which} is {got.dtype}, the input {dtype}"
    assert got.shape == like.shape, f"{which} has shape {got.shape}, the input {like.shape}"
    return got.astype(np.float64)


def _expected(backend: Any, dtype: str, case: Case, host: list[Any]) -> tuple[Any, ...]:
    """The reference outputs: independent numpy code, else the numpy backend's result."""
    reference = REFERENCES.get(case.name) or case.check.reference
    if reference is not None:
        out = reference(np, *harness.as_float64(host), **case.sample.kwargs)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if backend.name == "numpy":
        pytest.skip(f"{case.name}: no independent reference to compare the numpy backend with; add one "
                    f"to dezero_core.testing.references.REFERENCES or @checked(reference=...)")
    if case.check.random:
        pytest.skip(f"{case.name} draws random numbers and has no reference: random streams are per "
                    f"backend, so the numpy backend's result is no reference")
    from dezero_core.backend.selection import BackendError, get_backend

    try:
        numpy_backend = get_backend("numpy")
    except BackendError as exc:
        pytest.skip(f"{case.name}: no reference, and the numpy backend to compare with is unusable: {exc}")
    _, outputs = harness.call(case, numpy_backend, host)
    return tuple(numpy_backend.to_host(data_of(y)).astype(np.float64) for y in outputs)
