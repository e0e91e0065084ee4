"""``dezero_onnx.load``: the file runs through dezero's functions, on any backend, and differentiates."""
from __future__ import annotations

import numpy as np
import pytest
from dezero_core import Variable
from dezero_core.backend.selection import get_backend
from dezero_core.config import no_grad, test_mode

import dezero_onnx

from onnx_checks import eager
from onnx_zoo import SmallCNN


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    model = SmallCNN()
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
    with no_grad():
        model(x)  # batch norm's running averages move off 0 and 1
    path = tmp_path_factory.mktemp("load") / "cnn.onnx"
    dezero_onnx.export(model, x, path)
    return model, x, path


def test_the_loaded_file_runs_on_the_strict_array_api_backend(cnn_file) -> None:
    model, x, path = cnn_file
    strict = get_backend("strict")
    with test_mode():
        y = dezero_onnx.load(path)(strict.from_host(x))
    assert strict.owns(y.data)
    np.testing.assert_allclose(strict.to_host(y.data), eager(model, x)[0], rtol=1e-5, atol=1e-6)


def test_gradients_flow_through_the_uncompiled_function_as_through_the_model(cnn_file) -> None:
    model, x, path = cnn_file
    f = dezero_onnx.load(path, compiled=False)
    grads = []
    for fn in (model, f):
        v = Variable(x.copy())
        with test_mode():
            y = fn(v)
        (y * y).sum().backward()
        grads.append(v.grad.data)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-6)


def test_load_returns_a_compiled_function_by_default(cnn_file) -> None:
    _, x, path = cnn_file
    f = dezero_onnx.load(path)
    f(x)
    assert {"Conv2d", "MaxPooling"} <= {node.op for node in f.graph.nodes}


def test_gather_with_an_index_array_and_with_one_index_on_another_axis() -> None:
    import onnx
    from onnx import helper, numpy_helper

    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [5, 4])
    outs = [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in ("rows", "column")]
    consts = [numpy_helper.from_array(np.array([[0, 4], [2, 2]], np.int64), "ids"),
              numpy_helper.from_array(np.array(1, np.int64), "one")]
    nodes = [helper.make_node("Gather", ["x", "ids"], ["rows"], axis=0),
             helper.make_node("Gather", ["x", "one"], ["column"], axis=1)]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], outs, consts),
                              opset_imports=[helper.make_opsetid("", 17)])
    a = np.arange(20, dtype=np.float32).reshape(5, 4)
    rows, column = dezero_onnx.OnnxFunction(model)(a)
    np.testing.assert_array_equal(rows.data, a[[[0, 4], [2, 2]]])
    np.testing.assert_array_equal(column.data, a[:, 1])
