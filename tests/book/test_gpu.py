"""The book's GPU steps (52) through ``dezero.cuda``: skipped where no GPU is usable."""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import DataLoader, Variable, optimizers
from dezero.models import MLP

from book_code import train_epoch

pytestmark = pytest.mark.skipif(not dezero.cuda.gpu_enable,
                                reason="no usable GPU (dezero-cupy with CuPy and a CUDA device)")


def test_array_module_and_transfers() -> None:
    a = dezero.cuda.as_cupy(np.arange(3.0))
    assert dezero.cuda.get_array_module(a) is dezero.cuda.cupy
    assert dezero.cuda.get_array_module(Variable(a)) is dezero.cuda.cupy
    np.testing.assert_array_equal(dezero.cuda.as_numpy(a), np.arange(3.0))


def test_dropout_on_the_gpu_keeps_the_dtype() -> None:
    x = Variable(dezero.cuda.as_cupy(np.ones(6, dtype=np.float32)))
    y = F.dropout(x)
    assert dezero.cuda.get_array_module(y.data) is dezero.cuda.cupy
    assert y.dtype == np.float32
    assert set(dezero.cuda.as_numpy(y.data).tolist()) <= {0.0, 2.0}


def test_spiral_trains_on_the_gpu() -> None:
    # step 52: the model and the loader moved to the GPU
    train_loader = DataLoader(dezero.datasets.Spiral(), 30)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(1.0).setup(model)
    train_loader.to_gpu()
    model.to_gpu()
    assert train_loader.gpu
    x, t = next(iter(train_loader))
    assert dezero.cuda.get_array_module(x) is dezero.cuda.cupy
    assert dezero.cuda.get_array_module(t) is dezero.cuda.cupy
    losses = [train_epoch(model, optimizer, train_loader) for _ in range(30)]
    assert losses[-1] < 0.8 * losses[0]


def test_a_layer_first_called_on_the_gpu_draws_from_cupys_generator() -> None:
    # the book's Linear._init_W(xp) with xp = cupy: cupy.random.randn, float32, the bias moved along
    cp = dezero.cuda.cupy
    layer = dezero.layers.Linear(3)
    cp.random.seed(4)
    expected = cp.random.randn(2, 3).astype(np.float32) * np.float32(np.sqrt(1 / 2))
    cp.random.seed(4)
    y = layer(dezero.cuda.as_cupy(np.ones((1, 2), dtype=np.float32)))
    assert dezero.cuda.get_array_module(layer.W.data) is cp and dezero.cuda.get_array_module(layer.b.data) is cp
    np.testing.assert_array_equal(dezero.cuda.as_numpy(layer.W.data), dezero.cuda.as_numpy(expected))
    np.testing.assert_allclose(dezero.cuda.as_numpy(y.data), dezero.cuda.as_numpy(expected).sum(axis=0)[None])
