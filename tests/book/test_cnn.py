"""The book's CNN steps (55-58): im2col's layout and shapes, conv2d/deconv2d/pooling and their
``_simple`` versions, the layers' weight layouts, VGG16's names."""
from __future__ import annotations

import numpy as np
import pytest

import dezero.functions as F
import dezero.layers as L
from dezero import Variable
from dezero.models import VGG16
from dezero.utils import get_conv_outsize, get_deconv_outsize


def test_im2col_shapes() -> None:
    # step 57
    x1 = np.random.rand(1, 3, 7, 7)
    col1 = F.im2col(x1, kernel_size=5, stride=1, pad=0, to_matrix=True)
    assert col1.shape == (9, 75)
    x2 = np.random.rand(10, 3, 7, 7)
    col2 = F.im2col(x2, kernel_size=(5, 5), stride=(1, 1), pad=(0, 0), to_matrix=True)
    assert col2.shape == (90, 75)


def test_im2col_without_to_matrix_keeps_the_window_axes() -> None:
    col = F.im2col(np.random.rand(2, 3, 7, 7), kernel_size=3, stride=2, pad=1, to_matrix=False)
    assert col.shape == (2, 3, 3, 3, 4, 4)  # (N, C, KH, KW, OH, OW)


def test_im2col_rows_are_windows_and_columns_channel_kernel_row_kernel_column() -> None:
    x = np.random.rand(2, 3, 5, 6)
    kh, kw, s, p = 2, 3, 2, 1
    col = F.im2col(x, (kh, kw), s, p).data
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = get_conv_outsize(5, kh, s, p), get_conv_outsize(6, kw, s, p)
    expected = np.array([padded[n, :, i * s:i * s + kh, j * s:j * s + kw].reshape(-1)
                         for n in range(2) for i in range(oh) for j in range(ow)])
    np.testing.assert_array_equal(col, expected)


def test_col2im_is_the_adjoint_of_im2col() -> None:
    x = np.random.rand(2, 3, 6, 6)
    col = F.im2col(x, 3, 2, 1)
    c = np.random.rand(*col.shape)
    back = F.col2im(c, x.shape, 3, 2, 1)
    assert float(np.sum(col.data * c)) == pytest.approx(float(np.sum(x * back.data)), rel=1e-12)


def test_conv2d_simple_shapes_and_gradient() -> None:
    # step 57
    N, C, H, W = 1, 5, 15, 15
    OC, (KH, KW) = 8, (3, 3)
    x = Variable(np.random.randn(N, C, H, W))
    W = np.random.randn(OC, C, KH, KW)
    y = F.conv2d_simple(x, W, b=None, stride=1, pad=1)
    y.backward()
    assert y.shape == (1, 8, 15, 15)
    assert x.grad.shape == (1, 5, 15, 15)


def test_conv2d_simple_equals_conv2d() -> None:
    x = Variable(np.random.randn(2, 3, 7, 6))
    W = Variable(np.random.randn(4, 3, 3, 2))
    b = Variable(np.random.randn(4))
    simple = F.conv2d_simple(x, W, b, stride=2, pad=1)
    F.sum(simple ** 2).backward()
    grads = [v.grad.data.copy() for v in (x, W, b)]
    for v in (x, W, b):
        v.cleargrad()
    fused = F.conv2d(x, W, b, stride=2, pad=1)
    F.sum(fused ** 2).backward()
    np.testing.assert_allclose(simple.data, fused.data, rtol=1e-12)
    for got, v in zip(grads, (x, W, b)):
        np.testing.assert_allclose(got, v.grad.data, rtol=1e-10)


def test_pooling_simple_equals_pooling() -> None:
    x = Variable(np.random.randn(2, 3, 6, 8))
    simple = F.pooling_simple(x, 2, 2)
    simple.backward()
    g = x.grad.data.copy()
    x.cleargrad()
    fused = F.pooling(x, 2, 2)
    fused.backward()
    assert fused.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(simple.data, fused.data)
    np.testing.assert_array_equal(g, x.grad.data)


def test_pooling_output_size_drops_a_last_partial_window() -> None:
    # Chainer's cover_all=False: (7 - 2) // 2 + 1 = 3
    assert F.pooling(np.random.randn(1, 1, 7, 7), 2, 2).shape == (1, 1, 3, 3)
    assert F.average_pooling(np.random.randn(1, 1, 7, 7), 2, 2).shape == (1, 1, 3, 3)


def test_deconv2d_is_the_transpose_of_conv2d() -> None:
    # W (C_out, C_in, KH, KW) for conv2d is, read as (C_in, C_out, KH, KW), the kernel of its transpose
    x = np.random.randn(2, 3, 5, 5)
    W = np.random.randn(4, 3, 3, 3)
    y = F.conv2d(x, W, stride=2, pad=1)
    r = np.random.randn(*y.shape)
    back = F.deconv2d(r, W, stride=2, pad=1, outsize=(5, 5))
    assert back.shape == x.shape
    assert float(np.sum(y.data * r)) == pytest.approx(float(np.sum(x * back.data)), rel=1e-12)
    assert get_deconv_outsize(3, 3, 2, 1) == 5


def test_layer_weight_layouts() -> None:
    x = np.random.randn(2, 5, 9, 9).astype(np.float32)
    conv = L.Conv2d(8, kernel_size=3, stride=1, pad=1)
    assert conv(x).shape == (2, 8, 9, 9) and conv.W.shape == (8, 5, 3, 3)
    deconv = L.Deconv2d(4, kernel_size=4, stride=2, pad=1)
    assert deconv(x).shape == (2, 4, 18, 18) and deconv.W.shape == (5, 4, 4, 4)
    linear = L.Linear(3)
    assert linear(x.reshape(2, -1)).shape == (2, 3) and linear.W.shape == (405, 3)
    assert conv.W.dtype == np.float32


def test_vgg16_has_chainers_attribute_names() -> None:
    model = VGG16()
    names = [f"conv{b}_{i}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for i in range(1, n + 1)]
    assert all(isinstance(getattr(model, n), L.Conv2d) for n in names)
    assert all(isinstance(getattr(model, n), L.Linear) for n in ("fc6", "fc7", "fc8"))


def test_small_cnn_learns() -> None:
    # a LeNet-like network on four 8x8 patterns: conv, relu, pooling, linear
    rng = np.random.RandomState(0)
    patterns = rng.rand(4, 1, 8, 8).astype(np.float32)
    x = np.repeat(patterns, 8, axis=0) + 0.1 * rng.randn(32, 1, 8, 8).astype(np.float32)
    t = np.repeat(np.arange(4), 8)
    conv, fc = L.Conv2d(6, 3, pad=1), L.Linear(4)
    from dezero import optimizers
    from dezero.models import Sequential

    model = Sequential(conv, F.relu, lambda h: F.pooling(h, 2, 2), F.flatten, fc)
    optimizer = optimizers.Adam(0.01).setup(model)
    for _ in range(30):
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
    assert float(F.accuracy(model(x), t).data) == 1.0
    assert model.layers[0] is conv
