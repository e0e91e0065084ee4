"""What the graph core refuses instead of computing something silently wrong: a gradient seed of the
wrong shape, Variables of strings or objects. And 1-D matmul operands, now differentiable."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F


def test_a_gradient_seed_of_the_wrong_shape_is_refused_naming_both_shapes(put) -> None:
    x = Variable(put([1.0, 2.0, 3.0]))
    y = x * 2.0
    y.grad = Variable(put(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"has shape \(2, 3\), but the output has shape \(3,\)"):
        y.backward()
    assert x.grad is None


def test_a_gradient_seed_of_the_outputs_shape_is_used(put, host) -> None:
    x = Variable(put([1.0, 2.0, 3.0]))
    y = x * 2.0
    y.grad = put([1.0, 0.0, -1.0])
    y.backward()
    assert host(x.grad).tolist() == [2.0, 0.0, -2.0]


@pytest.mark.parametrize("data", [np.array(["a"]), np.array([b"a"]), np.array([1.0, None], dtype=object)],
                         ids=["str", "bytes", "object"])
def test_a_variable_of_strings_or_objects_is_refused(data) -> None:
    with pytest.raises(TypeError, match=rf"an array of numbers or booleans; got dtype {data.dtype}"):
        Variable(data)


def test_variables_of_integers_and_booleans_are_accepted(put) -> None:
    assert Variable(put([1, 2], np.int64)).shape == (2,)
    assert Variable(put([True], bool)).shape == (1,)


@pytest.mark.parametrize("shapes", [((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,))])
def test_matmul_of_1d_operands_has_numpys_gradients(put, host, shapes) -> None:
    rng = np.random.default_rng(0)
    a_host, b_host = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    a, b = Variable(put(a_host)), Variable(put(b_host))
    y = F.matmul(a, b)
    assert y.shape == np.matmul(a_host, b_host).shape
    gy = rng.standard_normal(y.shape)
    y.grad = put(gy)
    y.backward()
    # d/da sum(gy * (a @ b)) by the chain rule written with einsum on explicit row/column forms
    a2 = a_host[None, :] if a_host.ndim == 1 else a_host
    b2 = b_host[:, None] if b_host.ndim == 1 else b_host
    gy2 = np.reshape(gy, np.matmul(a2, b2).shape)
    ga = np.einsum("...ik,...jk->...ij", gy2, np.broadcast_to(b2, gy2.shape[:-2] + b2.shape[-2:]))
    gb = np.einsum("...ij,...ik->...jk", np.broadcast_to(a2, gy2.shape[:-2] + a2.shape[-2:]), gy2)
    ga = ga.reshape((-1,) + a2.shape).sum(axis=0).reshape(a_host.shape)
    gb = gb.reshape((-1,) + b2.shape).sum(axis=0).reshape(b_host.shape)
    np.testing.assert_allclose(host(a.grad), ga, rtol=1e-12)
    np.testing.assert_allclose(host(b.grad), gb, rtol=1e-12)
