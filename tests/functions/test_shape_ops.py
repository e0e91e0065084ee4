"""Shape functions where the conformance samples cannot reach: unequal pieces, unused outputs."""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero_core import Variable, functions as F


def test_concat_of_unequal_widths_routes_each_slice_of_the_gradient_back(put: Any, host: Any) -> None:
    a, b = Variable(put(np.zeros((2, 1)))), Variable(put(np.zeros((2, 3))))
    weights = np.arange(8.0).reshape(2, 4)
    F.sum(F.concat([a, b], axis=1) * put(weights)).backward()
    np.testing.assert_array_equal(host(a.grad), weights[:, :1])
    np.testing.assert_array_equal(host(b.grad), weights[:, 1:])


def test_concat_skips_the_gradient_of_a_constant_input(put: Any, host: Any) -> None:
    a = Variable(put(np.ones((1, 2))))
    y = F.concat([put(np.zeros((2, 2))), a])
    F.sum(y).backward()
    np.testing.assert_array_equal(host(y), [[0, 0], [0, 0], [1, 1]])
    np.testing.assert_array_equal(host(a.grad), [[1, 1]])


def test_split_pieces_that_are_not_used_get_zero_gradient(put: Any, host: Any) -> None:
    x = Variable(put(np.arange(10.0).reshape(2, 5)))
    first, middle, last = F.split(x, [1, 3], axis=1)
    assert [host(p).shape for p in (first, middle, last)] == [(2, 1), (2, 2), (2, 2)]
    F.sum(middle * 3.0).backward()
    np.testing.assert_array_equal(host(x.grad), [[0, 3, 3, 0, 0]] * 2)


def test_split_then_concat_is_the_identity_for_second_derivatives(put: Any, host: Any) -> None:
    x = Variable(put(np.array([1.0, 2.0, 3.0, 4.0])))
    a, b = F.split(x, 2)
    y = F.sum(F.concat([a * a, b]) ** 2)  # sum(a^4) + sum(b^2)
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    F.sum(gx).backward()
    np.testing.assert_allclose(host(x.grad), [12.0, 48.0, 2.0, 2.0])  # 12 a^2, then 2


def test_pad_fills_the_border_and_its_gradient_is_the_interior(put: Any, host: Any) -> None:
    x = Variable(put(np.ones((1, 2))))
    y = F.pad(x, ((1, 0), (0, 2)), value=-1.0)
    np.testing.assert_array_equal(host(y), [[-1, -1, -1, -1], [1, 1, -1, -1]])
    F.sum(y * put(np.arange(8.0).reshape(2, 4))).backward()
    np.testing.assert_array_equal(host(x.grad), [[4, 5]])


def test_stack_and_concat_take_one_array_as_the_list_of_its_rows(put: Any, host: Any) -> None:
    x = Variable(put(np.arange(6.0).reshape(3, 2)))
    np.testing.assert_array_equal(host(F.stack(x, axis=1)), np.arange(6.0).reshape(3, 2).T)
    np.testing.assert_array_equal(host(F.concat(x)), np.arange(6.0))


def test_expand_dims_squeeze_and_unsqueeze_shapes(put: Any) -> None:
    x = Variable(put(np.zeros((2, 3))))
    assert F.expand_dims(x, (0, -1)).shape == (1, 2, 3, 1)
    assert F.unsqueeze(x, 1).shape == (2, 1, 3)
    assert F.squeeze(F.expand_dims(x, (0, 2))).shape == (2, 3)


def test_flatten_keeps_the_batch_axis_like_the_book(put: Any) -> None:
    x = Variable(put(np.zeros((2, 3, 4))))
    assert F.flatten(x).shape == (2, 12)
    assert F.flatten(x, 0).shape == (24,)
