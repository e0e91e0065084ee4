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
#: the functions with integer or boolean results: exported like the others, and checked exactly
DISCRETE = {"argmax", "argmin", "one_hot", "accuracy", "equal", "not_equal", "less", "less_equal",
            "greater", "greater_equal"}


def _cases() -> list[Any]:
    return [pytest.param(case, id=case.id) for case in harness.cases(FUNCTIONS.names(), FUNCTIONS.get)]


def _split(case: harness.Case) -> tuple[list[np.ndarray], Any]:
    """The sample's differentiable arrays (the graph inputs) and a function of them calling the
    registered function. The other arrays stay constants of the graph, as they are in a model: labels,
    indices and masks, batch norm's running averages. A function of integer arrays only (one_hot)
    takes them as its inputs."""
    host = case.inputs("float32")
    paths = case.differentiable or [p for p, a in harness.leaves(host) if isinstance(a, np.ndarray)]
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
        if case.name in DISCRETE and g.dtype != np.float32:  # indices, masks: exactly
            np.testing.assert_array_equal(g, w)
    if FUNCTIONS.entry(case.name).dist != "dezero-core":
        return  # load() maps the operators of the built-in converters only
    loaded = eager(dezero_onnx.load(path), *arrays)
    for g, w in zip(loaded, want):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def _first_samples() -> list[Any]:
    seen: set[str] = set()
    firsts = []
    for case in harness.cases(FUNCTIONS.names(), FUNCTIONS.get):
        if case.name not in seen and FUNCTIONS.entry(case.name).dist == "dezero-core":
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


def test_a_mask_from_a_comparison_of_the_input_exports_with_a_dynamic_batch_and_loads(tmp_path) -> None:
    """``x > 0`` of a traced input is a ``Greater`` node: a computed condition, not a constant."""
    from dezero_core import functions as F

    def leaky(x: Any) -> Any:
        return F.where(x > 0.0, x, x * 0.1), F.argmax(x, axis=1), F.less_equal(0.5, x)

    path = tmp_path / "mask.onnx"
    dezero_onnx.export(leaky, np.ones((2, 3), np.float32), path)
    loaded = dezero_onnx.load(path)
    for n in (2, 5):
        x = np.random.default_rng(n).standard_normal((n, 3)).astype(np.float32)
        want = eager(leaky, x)
        for got in (run_onnxruntime(path, x), eager(loaded, x)):
            for g, w in zip(got, want):
                assert g.dtype == w.dtype
                np.testing.assert_array_equal(g, w)


def test_indexing_by_an_input_index_array_exports_as_gather_and_loads(tmp_path) -> None:
    def pick(x: Any, ids: Any) -> Any:
        return x[ids]

    path = tmp_path / "take.onnx"
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    dezero_onnx.export(pick, (x, np.array([0, 3])), path, dynamic_axes={1: [0]})
    loaded = dezero_onnx.load(path)
    for ids in (np.array([2, 2, -1]), np.array([1])):
        want = x[ids]
        np.testing.assert_array_equal(run_onnxruntime(path, x, ids)[0], want)
        np.testing.assert_array_equal(eager(loaded, x, ids)[0], want)
