"""conv2d, deconv2d, im2col and col2im: layouts, values by hand, adjoint identities, bad input."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dezero_core.functions.conv as conv_module
from dezero_core import Variable, functions as F

RNG = np.random.default_rng(0)


def _random(*shape: int) -> np.ndarray:
    return RNG.uniform(-1.0, 1.0, shape)


# -- im2col / col2im ---------------------------------------------------------------------------
def test_im2col_gives_one_row_per_window_in_the_books_layout(put: Any, host: Any) -> None:
    x = np.arange(2 * 3 * 7 * 7, dtype=np.float64).reshape(2, 3, 7, 7)
    col = host(F.im2col(put(x), 5))
    assert col.shape == (2 * 3 * 3, 3 * 5 * 5)  # (N*OH*OW, C*KH*KW), the book's (9, 75) per image
    np.testing.assert_array_equal(col[0], x[0, :, 0:5, 0:5].reshape(-1))
    np.testing.assert_array_equal(col[4], x[0, :, 1:6, 1:6].reshape(-1))  # image 0, window (1, 1)
    np.testing.assert_array_equal(col[9 + 2], x[1, :, 0:5, 2:7].reshape(-1))  # image 1, window (0, 2)


def test_im2col_with_stride_and_padding_has_the_chainer_output_size(put: Any, host: Any) -> None:
    col = host(F.im2col(put(np.ones((1, 2, 6, 5))), (3, 2), stride=(2, 1), pad=(1, 0)))
    # OH = (6 + 2 - 3) // 2 + 1 = 3, OW = (5 - 2) // 1 + 1 = 4
    assert col.shape == (3 * 4, 2 * 3 * 2)
    assert col[0].reshape(2, 3, 2)[:, 0].sum() == 0  # the first window's top row is padding


def test_im2col_without_to_matrix_is_n_c_kh_kw_oh_ow(put: Any, host: Any) -> None:
    x = _random(2, 3, 5, 5)
    col = host(F.im2col(put(x), 3, stride=2, pad=1, to_matrix=False))
    assert col.shape == (2, 3, 3, 3, 3, 3)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    np.testing.assert_array_equal(col[:, :, 2, 1, 1, 2], padded[:, :, 2 * 1 + 2, 2 * 2 + 1])


@pytest.mark.parametrize("to_matrix", [True, False])
def test_col2im_is_the_adjoint_of_im2col(put: Any, host: Any, to_matrix: bool) -> None:
    x = _random(2, 3, 6, 5)
    col = host(F.im2col(put(x), 3, stride=(2, 1), pad=1, to_matrix=to_matrix))
    c = _random(*col.shape)
    img = host(F.col2im(put(c), x.shape, 3, stride=(2, 1), pad=1, to_matrix=to_matrix))
    np.testing.assert_allclose(np.sum(col * c), np.sum(x * img))


def test_col2im_counts_each_pixel_once_per_window_covering_it(put: Any, host: Any) -> None:
    col = F.im2col(put(np.zeros((1, 1, 4, 4))), 3)
    counts = host(F.col2im(put(np.ones(col.shape)), (1, 1, 4, 4), 3))
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_col2im_leaves_pixels_no_window_covers_at_zero(put: Any, host: Any) -> None:
    # 1x1 windows with stride 2 touch every other pixel only
    img = host(F.col2im(put(np.ones((1, 1, 1, 1, 2, 2))), (1, 1, 4, 4), 1, stride=2, to_matrix=False))
    np.testing.assert_array_equal(img[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])


def test_col2im_rejects_a_col_of_the_wrong_shape(put: Any) -> None:
    with pytest.raises(ValueError, match=r"col must have shape \(9, 18\).*got \(9, 17\)"):
        F.col2im(put(np.zeros((9, 17))), (1, 2, 5, 5), 3)


# -- conv2d ------------------------------------------------------------------------------------
def test_conv2d_of_ones_counts_the_kernel_cells_inside_the_image(put: Any, host: Any) -> None:
    y = host(F.conv2d(put(np.ones((1, 1, 3, 3))), put(np.ones((1, 1, 3, 3))), pad=1))
    np.testing.assert_array_equal(y[0, 0], [[4, 6, 4], [6, 9, 6], [4, 6, 4]])


def test_conv2d_with_stride_skips_windows(put: Any, host: Any) -> None:
    y = host(F.conv2d(put(np.ones((1, 1, 3, 3))), put(np.ones((1, 1, 3, 3))), stride=2, pad=1))
    np.testing.assert_array_equal(y[0, 0], [[4, 4], [4, 4]])


def test_conv2d_is_a_cross_correlation_summed_over_channels_plus_bias(put: Any, host: Any) -> None:
    x = np.zeros((1, 2, 3, 3))
    x[0, 0, 0, 0] = 1.0  # top-left pixel of channel 0
    x[0, 1, 2, 2] = 10.0  # bottom-right pixel of channel 1
    W = np.zeros((1, 2, 2, 2))
    W[0, 0, 0, 0], W[0, 1, 1, 1] = 2.0, 3.0
    y = host(F.conv2d(put(x), put(W), put(np.array([0.5]))))
    np.testing.assert_array_equal(y[0, 0], [[2.5, 0.5], [0.5, 30.5]])


def test_conv2d_matches_a_direct_sum_over_windows(put: Any, host: Any) -> None:
    x, W, b = _random(2, 3, 7, 6), _random(4, 3, 3, 2), _random(4)
    y = host(F.conv2d(put(x), put(W), put(b), stride=(2, 1), pad=(1, 2)))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)))
    assert y.shape == (2, 4, 4, 9)
    for i, j in [(0, 0), (3, 8), (2, 5)]:
        window = padded[:, :, 2 * i:2 * i + 3, j:j + 2]
        expected = (window[:, None] * W[None]).sum(axis=(2, 3, 4)) + b
        np.testing.assert_allclose(y[:, :, i, j], expected, rtol=1e-12)


def test_conv2d_keeps_float32_in_outputs_and_gradients(put: Any, host: Any) -> None:
    x = Variable(put(_random(2, 3, 5, 5), "float32"))
    W = Variable(put(_random(4, 3, 3, 3), "float32"))
    b = Variable(put(_random(4), "float32"))
    y = F.conv2d(x, W, b, stride=2, pad=1)
    F.sum(y * y).backward()
    assert [host(v).dtype for v in (y, x.grad, W.grad, b.grad)] == [np.float32] * 4


def test_conv2d_computes_no_input_gradient_for_a_constant_batch(put: Any, host: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    transposed = []
    forward = conv_module.Deconv2d.forward
    monkeypatch.setattr(conv_module.Deconv2d, "forward",
                        lambda self, *args: transposed.append(1) or forward(self, *args))
    W = Variable(put(_random(4, 3, 3, 3)))
    F.sum(F.conv2d(put(_random(2, 3, 5, 5)), W)).backward()
    assert W.grad is not None and transposed == []
    F.sum(F.conv2d(Variable(put(_random(2, 3, 5, 5))), W)).backward()
    assert transposed == [1]


def test_conv2d_input_gradient_is_a_transposed_convolution(put: Any, host: Any) -> None:
    x, W, gy = _random(2, 3, 6, 5), _random(4, 3, 3, 3), _random(2, 4, 3, 3)
    xv = Variable(put(x))
    F.sum(F.conv2d(xv, put(W), stride=2, pad=1) * put(gy)).backward()
    np.testing.assert_allclose(host(xv.grad), host(F.deconv2d(put(gy), put(W), stride=2, pad=1, outsize=(6, 5))),
                               rtol=1e-12)


def test_conv2d_says_which_channel_counts_disagree(put: Any) -> None:
    with pytest.raises(ValueError, match=r"x has 2 channels \(shape \(1, 2, 5, 5\)\) but W of shape "
                                         r"\(4, 3, 3, 3\) \(C_out, C_in, KH, KW\) expects 3 input channels"):
        F.conv2d(put(np.zeros((1, 2, 5, 5))), put(np.zeros((4, 3, 3, 3))))


def test_conv2d_rejects_a_kernel_larger_than_the_padded_input(put: Any) -> None:
    with pytest.raises(ValueError, match=r"5x5 kernel does not fit in the input of shape \(1, 1, 3, 3\) "
                                         r"padded by \(0, 0\)"):
        F.conv2d(put(np.zeros((1, 1, 3, 3))), put(np.zeros((1, 1, 5, 5))))
    F.conv2d(put(np.zeros((1, 1, 3, 3))), put(np.zeros((1, 1, 5, 5))), pad=1)  # 5x5 padded: fits


def test_conv2d_asks_to_cast_integer_data(put: Any) -> None:
    with pytest.raises(TypeError, match=r"conv2d: x has dtype \S*int64.*astype\(x, xp.float32\)"):
        F.conv2d(put(np.zeros((1, 1, 3, 3), dtype=np.int64)), put(np.zeros((1, 1, 2, 2))))


def test_conv2d_wants_a_4d_batch_and_a_bias_per_output_channel(put: Any) -> None:
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\).*got shape \(3, 3\)"):
        F.conv2d(put(np.zeros((3, 3))), put(np.zeros((1, 1, 2, 2))))
    with pytest.raises(ValueError, match=r"b must have shape \(4,\).*got shape \(3,\)"):
        F.conv2d(put(np.zeros((1, 3, 4, 4))), put(np.zeros((4, 3, 2, 2))), put(np.zeros(3)))


# -- deconv2d ----------------------------------------------------------------------------------
def test_deconv2d_spreads_each_pixel_over_a_kernel_sized_patch(put: Any, host: Any) -> None:
    x = np.array([[[[1.0, 2.0]]]])  # (1, 1, 1, 2)
    W = np.ones((1, 1, 2, 2))  # (C_in, C_out, KH, KW): the book's layout
    y = host(F.deconv2d(put(x), put(W), stride=1))
    np.testing.assert_array_equal(y[0, 0], [[1, 3, 2], [1, 3, 2]])


def test_deconv2d_is_the_transpose_of_conv2d(put: Any, host: Any) -> None:
    # conv2d with W (4, 3, KH, KW) maps 3 channels to 4; deconv2d with the same W maps 4 back to 3
    x, W, g = _random(2, 3, 7, 6), _random(4, 3, 3, 2), _random(2, 4, 4, 4)
    conv = host(F.conv2d(put(x), put(W), stride=2, pad=1))
    back = host(F.deconv2d(put(g), put(W), stride=2, pad=1, outsize=(7, 6)))
    assert conv.shape == g.shape and back.shape == x.shape
    np.testing.assert_allclose(np.sum(conv * g), np.sum(x * back))


def test_deconv2d_default_size_and_the_sizes_outsize_may_pick(put: Any, host: Any) -> None:
    x, W = put(np.ones((1, 2, 3, 3))), put(np.ones((2, 1, 3, 3)))
    assert host(F.deconv2d(x, W, stride=2, pad=1)).shape == (1, 1, 5, 5)  # 2*(3-1) + 3 - 2
    assert host(F.deconv2d(x, W, stride=2, pad=1, outsize=(6, 5))).shape == (1, 1, 6, 5)
    with pytest.raises(ValueError, match=r"an output of size \(7, 5\) does not convolve back to the input's \(3, 3\)"):
        F.deconv2d(x, W, stride=2, pad=1, outsize=(7, 5))


def test_deconv2d_says_which_channel_counts_disagree(put: Any) -> None:
    with pytest.raises(ValueError, match=r"x has 3 channels .* \(C_in, C_out, KH, KW\) expects 2 input channels"):
        F.deconv2d(put(np.zeros((1, 3, 2, 2))), put(np.zeros((2, 5, 3, 3))))
