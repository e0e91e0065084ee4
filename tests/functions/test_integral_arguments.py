"""Geometry and shape arguments accept any integral value (numpy's integers, 0-d integer arrays),
with the same results as Python ints; floats and bools are refused with a message naming the value."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F, layers as L

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 7, 7))
W = RNG.standard_normal((4, 3, 3, 3))
NP_INTS = (np.int64, np.int32, np.int8, lambda v: np.array(v, dtype=np.int16))


@pytest.mark.parametrize("as_int", NP_INTS)
def test_conv2d_takes_numpy_integers_as_stride_and_pad(as_int) -> None:
    want = F.conv2d(X, W, stride=2, pad=1).data
    got = F.conv2d(X, W, stride=as_int(2), pad=as_int(1)).data
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(F.conv2d(X, W, stride=(as_int(2), 2), pad=[1, as_int(1)]).data, want)


@pytest.mark.parametrize("as_int", NP_INTS)
def test_deconv2d_takes_numpy_integers_as_stride_pad_and_outsize(as_int) -> None:
    x, w = X[:, :, :3, :3], RNG.standard_normal((3, 2, 3, 3))
    want = F.deconv2d(x, w, stride=2, pad=1, outsize=(6, 6)).data
    got = F.deconv2d(x, w, stride=as_int(2), pad=as_int(1), outsize=(as_int(6), as_int(6))).data
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("pool", [F.pooling, F.average_pooling])
@pytest.mark.parametrize("as_int", NP_INTS)
def test_pooling_takes_numpy_integers_as_kernel_stride_and_pad(pool, as_int) -> None:
    want = pool(X, 3, 2, 1).data
    np.testing.assert_array_equal(pool(X, as_int(3), as_int(2), as_int(1)).data, want)


def test_im2col_and_col2im_take_numpy_integers() -> None:
    col = F.im2col(X, np.int64(3), np.int64(2), np.int64(1)).data
    np.testing.assert_array_equal(col, F.im2col(X, 3, 2, 1).data)
    shape = tuple(np.int64(n) for n in X.shape)
    np.testing.assert_array_equal(F.col2im(col, shape, np.int64(3), 2, 1).data, F.col2im(col, X.shape, 3, 2, 1).data)


def test_conv_layers_take_numpy_integers() -> None:
    layer = L.Conv2d(np.int64(4), np.int64(3), stride=np.int64(2), pad=np.int32(1))
    assert layer(X).shape == (2, 4, 4, 4)
    assert L.Deconv2d(np.int64(2), (np.int64(3), 3))(X).shape == (2, 2, 9, 9)


def test_reshape_broadcast_to_and_sum_to_take_numpy_integers() -> None:
    x = Variable(RNG.standard_normal((2, 3)))
    assert F.reshape(x, (np.int64(3), np.int32(2))).shape == (3, 2)
    assert F.reshape(x, np.int64(6)).shape == (6,)
    assert F.broadcast_to(Variable(np.ones(3)), (np.int64(2), 3)).shape == (2, 3)
    assert F.sum_to(x, (np.int64(1), np.int64(3))).shape == (1, 3)


@pytest.mark.parametrize("stride", [2.0, np.float64(2.0), True, "2", None])
def test_a_stride_that_is_not_an_integer_is_refused_naming_it(stride) -> None:
    with pytest.raises(TypeError, match="expected an int or a pair of ints, got " + repr(stride).replace("(", r"\(")
                       .replace(")", r"\)")):
        F.conv2d(X, W, stride=stride)


def test_a_pair_of_three_is_refused_naming_its_length() -> None:
    with pytest.raises(ValueError, match=r"pair of ints, got \(1, 2, 3\) of length 3"):
        F.pooling(X, (1, 2, 3))


def test_reshape_to_none_names_the_argument() -> None:
    with pytest.raises(TypeError, match=r"reshape: shape must be an int or a sequence of ints, got None"):
        F.reshape(Variable(np.ones((2, 3))), None)
