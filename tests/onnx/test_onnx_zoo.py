"""The zoo exported with a dynamic batch axis: every file passes the full ONNX check and, in
onnxruntime, equals eager mode within 1e-4 at two batch sizes; loaded back, it computes the same."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import onnx
import pytest
from dezero_core.models import VGG16, ResNet50

import dezero_onnx

from onnx_checks import eager, onnxruntime_session, run_onnxruntime
from onnx_zoo import SmallCNN, TextLSTM, mlp

RTOL, ATOL = 1e-4, 1e-5


def _images(shape: tuple[int, ...]) -> Callable[[int, int], np.ndarray]:
    return lambda n, seed: np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)


def _tokens(n: int, seed: int) -> np.ndarray:
    """``n`` sequences of 5 random int64 token ids of a vocabulary of 20."""
    return np.random.default_rng(seed).integers(0, 20, (n, 5), dtype=np.int64)


#: name -> (model factory, inputs(batch, seed), two batch sizes); VGG16 and ResNet50 on 32x32
#: images, the smallest their five poolings take
ZOO = {
    "mlp": (mlp, _images((64,)), (2, 5)),
    "small_cnn": (SmallCNN, _images((1, 8, 8)), (2, 5)),
    "vgg16": (VGG16, _images((3, 32, 32)), (1, 2)),
    "resnet50": (ResNet50, _images((3, 32, 32)), (1, 2)),
    "text_lstm": (TextLSTM, _tokens, (2, 5)),
}
#: the file was checked when it was written, and load() is exercised on every function: checking
#: and loading again is done on the small models only (seconds each for VGG16 and ResNet50)
SMALL = {"mlp", "small_cnn", "text_lstm"}


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model_exports_and_runs_equal_at_two_batch_sizes(name: str, tmp_path) -> None:
    factory, inputs, batches = ZOO[name]
    model = factory()
    _warm_batch_norm(model, inputs)
    path = tmp_path / f"{name}.onnx"
    dezero_onnx.export(model, inputs(batches[0], 0), path)
    if name in SMALL:
        onnx.checker.check_model(str(path), full_check=True)
    loaded = dezero_onnx.load(path) if name in SMALL else None
    session = onnxruntime_session(path)
    for seed, n in enumerate(batches, start=1):
        x = inputs(n, seed)
        want = eager(model, x)[0]
        got = run_onnxruntime(session, x)[0]
        assert got.shape == want.shape == (n, want.shape[1])
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{name}, batch {n}")
        if loaded is not None:
            np.testing.assert_allclose(eager(loaded, x)[0], want, rtol=RTOL, atol=ATOL, err_msg=f"{name} loaded")


def _warm_batch_norm(model: Any, inputs: Callable[[int, int], np.ndarray]) -> None:
    """One training-mode forward, so that batch norm's running averages are not the initial 0 and 1
    (and lazy layers get their weights)."""
    from dezero_core.config import no_grad

    with no_grad():
        model(inputs(2, 99))


def test_an_already_compiled_function_exports(tmp_path) -> None:
    import dezero_core as dz

    model = mlp()
    x = _images((64,))(3, 0)
    compiled = dz.compile(model)
    compiled(x)
    path = tmp_path / "compiled.onnx"
    dezero_onnx.export(compiled, x, path)
    np.testing.assert_allclose(run_onnxruntime(path, x)[0], eager(model, x)[0], rtol=RTOL, atol=ATOL)


def test_the_text_model_takes_int64_token_ids_with_a_dynamic_batch_and_loads_without_a_graph_break(
        tmp_path) -> None:
    import warnings

    from dezero_core.static import GraphBreakWarning

    model = TextLSTM()
    path = tmp_path / "text.onnx"
    proto = dezero_onnx.export(model, _tokens(2, 0), path)
    (given,) = proto.graph.input
    assert given.type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert [d.dim_param or d.dim_value for d in given.type.tensor_type.shape.dim] == ["batch", 5]
    assert "Gather" in {n.op_type for n in proto.graph.node}
    loaded = dezero_onnx.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GraphBreakWarning)
        for n in (3, 4):  # each batch size traces the loaded graph once
            ids = _tokens(n, n)
            np.testing.assert_allclose(loaded(ids).data, eager(model, ids)[0], rtol=RTOL, atol=ATOL)
