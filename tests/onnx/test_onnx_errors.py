"""What export and load refuse, and what they say."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from dezero_core import Function
from onnx import helper

import dezero_onnx
from dezero_onnx.errors import ExportError, LoadError, UnsupportedFunctionError


class Cube(Function):
    def forward(self, xp, x):
        return x * x * x


def test_a_function_without_converter_is_named_and_the_supported_ones_listed(tmp_path) -> None:
    with pytest.raises(UnsupportedFunctionError, match=r"'Cube' has no ONNX converter\. Supported: .*Conv2d.*"
                                                       r"dezero\.onnx_converters"):
        dezero_onnx.export(lambda x: Cube()(x), np.ones((2, 3), np.float32), tmp_path / "c.onnx")
    assert not (tmp_path / "c.onnx").exists()


def test_supported_lists_the_converters_by_op_name() -> None:
    names = dezero_onnx.supported()
    assert {"Add", "Linear", "Conv2d", "MaxPooling", "Normalization", "GetItem"} <= set(names)
    assert names == sorted(names)


def test_an_opset_out_of_range_is_refused_with_the_range(tmp_path) -> None:
    with pytest.raises(ExportError, match="opset 9 is not supported: dezero-onnx writes opsets 13 to"):
        dezero_onnx.export(lambda x: x * 2.0, np.ones(3, np.float32), tmp_path / "f.onnx", opset=9)


def test_dynamic_axes_naming_a_missing_input_or_axis_is_refused(tmp_path) -> None:
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ExportError, match="1 is not the index of one of the 1 example inputs"):
        dezero_onnx.export(lambda x: x * 2.0, x, tmp_path / "f.onnx", dynamic_axes={1: [0]})
    with pytest.raises(ExportError, match="input 0 has 2 axes, no axis 2"):
        dezero_onnx.export(lambda x: x * 2.0, x, tmp_path / "f.onnx", dynamic_axes={0: [2]})


def test_loading_a_damaged_file_names_it(tmp_path) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(LoadError, match="broken.onnx"):
        dezero_onnx.load(path)


def test_loading_an_operator_dezero_does_not_map_names_it(tmp_path) -> None:
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2])
    graph = helper.make_graph([helper.make_node("HardSwish", ["x"], ["y"])], "g", [x], [y])
    path = tmp_path / "hs.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(LoadError, match="HardSwish.*Supported: .*Conv"):
        dezero_onnx.load(path)


def test_a_loaded_function_checks_its_arguments(tmp_path) -> None:
    path = tmp_path / "f.onnx"
    dezero_onnx.export(lambda a, b: a * b, (np.ones(3, np.float32), np.ones(3, np.float32)), path)
    f = dezero_onnx.load(path)
    with pytest.raises(TypeError, match="missing input.*input_1"):
        f(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="unexpected or repeated input 'c'"):
        f(np.ones(3, np.float32), c=np.ones(3, np.float32))
    np.testing.assert_array_equal(f(np.full(3, 2, np.float32), input_1=np.full(3, 3, np.float32)).data, 6)


def test_a_graph_that_changes_with_the_batch_size_asks_for_a_fixed_one(tmp_path) -> None:
    from dezero_core import functions as F

    # at batch 1 sum_to (1, 3) is the identity (no node); at batch 2 it sums
    with pytest.raises(ExportError, match=r"changes with the batch size.*dynamic_axes=\{\}"):
        dezero_onnx.export(lambda x: F.sum_to(x * 2.0, (1, 3)), np.ones((1, 3), np.float32), tmp_path / "s.onnx")
    dezero_onnx.export(lambda x: F.sum_to(x * 2.0, (1, 3)), np.ones((1, 3), np.float32), tmp_path / "s.onnx",
                       dynamic_axes=None)


def test_an_unbiased_variance_over_the_batch_axis_is_refused_when_the_batch_is_dynamic(tmp_path) -> None:
    from dezero_core import functions as F

    with pytest.raises(ExportError, match="correction=1 over the dynamic batch axis"):
        dezero_onnx.export(lambda x: F.var(x, axis=0, correction=1), np.ones((4, 3), np.float32), tmp_path / "v.onnx")
