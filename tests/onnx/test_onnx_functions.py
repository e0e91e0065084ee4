"""Every registered function with an ONNX converter: its exported graph, run in onnxruntime, equals
eager mode (float32, rtol 1e-5) on the samples the conformance suite checks it on; and the file,
loaded back with ``dezero_onnx.load``, computes the same again."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from dezero_core.discovery import registry
from dezero_core.testing import harness

import dezero_onnx
from dezero_onnx.errors import UnsupportedFunctionError

from onnx_checks import eager, run_onnxruntime

FUNCTIONS = registry("dezero.functions")
#: float32 rounding of differently ordered sums; atol for the elements that cancel to ~0
RTOL, ATOL = 1e-5, 1e-6
#: registered functions that are not Functions: they compute a constant from their inputs' values,
#: which a traced graph does not have (export the scores and compute these on the runtime's outputs)
VALUE_FUNCTIONS = {"argmax", "argmin", "one_hot", "accuracy", "equal", "not_equal", "less", "less_equal",
                   "greater", "greater_equal"}


def _cases() -> list[Any]:
    return [pytest.param(case, id=case.id) for case in harness.cases(FUNCTIONS.names(), FUNCTIONS.get)]


def _split(case: harness.Case) -> tuple[list[np.ndarray], Any]:
    """The sample's differentiable arrays (the graph inputs) and a function of them calling the
    registered function. The other arrays stay constants of the graph, as they are in a model: labels,
    indices and masks whose values the function reads, batch norm's running averages."""
    host = case.inputs("float32")
    paths = case.differentiable
    arrays = [harness.at(host, p) for p in paths]

    def call(*xs: Any) -> Any:
        by_path = dict(zip(paths, xs))
        args = harness.map_leaves(host, lambda p, a: by_path.get(p, a))
        return case.fn(*args, **case.sample.kwargs)

    return arrays, call


@pytest.mark.parametrize("case", _cases())
def test_exported_function_equals_eager_in_onnxruntime_and_after_load(case: harness.Case, tmp_path) -> None:
    arrays, call = _split(case)
    want = eager(call, *arrays)
    path = tmp_path / "f.onnx"
    if case.name in VALUE_FUNCTIONS:
        with pytest.raises(Exception, match="where a value is needed|did not compute"):
            dezero_onnx.export(call, tuple(arrays), path, dynamic_axes=None)
        pytest.skip(f"{case.name} reads its inputs' values: not a traced Function, so not exportable")
    try:
        dezero_onnx.export(call, tuple(arrays), path, dynamic_axes=None)
    except UnsupportedFunctionError as exc:
        if FUNCTIONS.entry(case.name).dist == "dezero-core":
            raise  # every built-in Function has a converter
        pytest.skip(f"a plugin's function without a converter: {exc}"[:200])
    got = run_onnxruntime(path, *arrays)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
    if FUNCTIONS.entry(case.name).dist != "dezero-core":
        return  # load() maps the operators of the built-in converters only
    loaded = eager(dezero_onnx.load(path), *arrays)
    for g, w in zip(loaded, want):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def _first_samples() -> list[Any]:
    seen: set[str] = set()
    firsts = []
    for case in harness.cases(FUNCTIONS.names(), FUNCTIONS.get):
        if case.name not in seen and case.name not in VALUE_FUNCTIONS \
                and FUNCTIONS.entry(case.name).dist == "dezero-core":
            seen.add(case.name)
            firsts.append(case)
    return firsts


@pytest.mark.parametrize("opset", [o for o in dezero_onnx.TESTED_OPSETS if o != dezero_onnx.DEFAULT_OPSET])
def test_every_builtin_function_exports_at_the_other_tested_opsets(opset: int, tmp_path) -> None:
    for case in _first_samples():
        arrays, call = _split(case)
        path = tmp_path / f"{case.name}.onnx"
        dezero_onnx.export(call, tuple(arrays), path, opset=opset, dynamic_axes=None)
        for g, w in zip(run_onnxruntime(path, *arrays), eager(call, *arrays)):
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=f"{case.id} at opset {opset}")
