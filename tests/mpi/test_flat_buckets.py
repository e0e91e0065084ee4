"""Flat buffers in one process: the layout, packing with the averaging's scale folded into the copy,
and gradients handed back as views (issue 12's "packed into one flat buffer per dtype ... unpacked in
place")."""
import numpy as np
import pytest

import dezero_core
from dezero_core import Parameter
from dezero_mpi.buckets import make_buckets


def named_params(xp):
    """Two float32 parameters with gradients, one without, and a float64 one, by name."""
    a = Parameter(xp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    b = Parameter(xp.asarray(np.array([5.0, -7.0], dtype=np.float32)))
    idle = Parameter(xp.asarray(np.ones(3, dtype=np.float32)))
    d = Parameter(xp.asarray(np.array([0.25, 3.0], dtype=np.float64)))
    a.grad = xp.asarray(np.array([[1.0, -3.0, 0.5], [2.0, 4.0, -1.0]], dtype=np.float32))
    b.grad = xp.asarray(np.array([3.0, 1e-30], dtype=np.float32))
    d.grad = xp.asarray(np.array([6.0, -1.5], dtype=np.float64))
    return [("a", a), ("b", b), ("d", d), ("idle", idle)]


@pytest.mark.parametrize("backend", ["numpy", "strict"])  # numpy packs through out=, strict through a temporary
def test_gradients_are_packed_times_the_scale_with_flags_then_handed_back_as_views(backend):
    with dezero_core.using_backend(backend) as be:
        named = named_params(be.xp)
        float32, float64 = make_buckets(named)
        assert [name for name, *_ in float32.slots] == ["a", "b", "idle"]  # parameter order, per dtype
        assert [name for name, *_ in float64.slots] == ["d"]

        packed = np.asarray(be.to_host(float32.pack_grads(0.5)))
        assert packed.dtype == np.float32
        # a's 6, b's 2, idle's 3 zeros (no gradient), then one flag per parameter, scaled too
        expected = [0.5, -1.5, 0.25, 1.0, 2.0, -0.5, 1.5, 5e-31, 0, 0, 0, 0.5, 0.5, 0]
        np.testing.assert_array_equal(packed, np.array(expected, dtype=np.float32))

        packed *= 2  # what the sum over two processes of the same gradients gives
        reduced = be.from_host(packed)
        float32.unpack_grads(reduced)
        a, b, idle = (p for _, p, *_ in float32.slots)
        np.testing.assert_array_equal(be.to_host(a.grad.data), be.to_host(named[0][1].grad.data))
        assert idle.grad is None  # no gradient on any process: none after averaging either
        if backend == "numpy":  # the gradients are the buffer's memory: no unpacking copy
            assert np.shares_memory(a.grad.data, reduced) and np.shares_memory(b.grad.data, reduced)


def test_packing_without_a_scale_copies_the_gradients_exactly():
    named = named_params(np)
    (float32, float64) = make_buckets(named)
    np.testing.assert_array_equal(float64.pack_grads(), [6.0, -1.5, 1.0])
    np.testing.assert_array_equal(float32.pack_grads()[:8],
                                  np.array([1.0, -3.0, 0.5, 2.0, 4.0, -1.0, 3.0, 1e-30], dtype=np.float32))


def test_a_range_packs_into_any_buffer_and_its_pieces_are_the_gradients_there():
    named = named_params(np)
    float32, _ = make_buckets(named)  # a: 0-6, b: 6-8, idle: 8-11, flags: 11-14
    out = np.full(14, -9, np.float32)
    assert float32.pack_grads(0.5, 4, 12, out=out) is out
    # halves of a[4:] and b, idle's zeros, a's flag (halved too)
    expected = [-9, -9, -9, -9, 2.0, -0.5, 1.5, 5e-31, 0, 0, 0, 0.5, -9, -9]
    np.testing.assert_array_equal(out, np.array(expected, dtype=np.float32))
    assert np.all(float32.buffer == 0)  # the bucket's own buffer untouched
    pieces = float32.grad_pieces(4, 12)
    assert [(start, stop) for _, start, stop in pieces] == [(4, 6), (6, 8), (8, 11), (11, 12)]
    np.testing.assert_array_equal(pieces[0][0], [4.0, -1.0])  # a's last two, unscaled
    np.testing.assert_array_equal(pieces[1][0], np.array([3.0, 1e-30], dtype=np.float32))
    assert pieces[2][0] is None  # idle has no gradient
    np.testing.assert_array_equal(pieces[3][0], [1.0])  # a's flag
    assert [(start, stop) for _, start, stop in float32.grad_pieces(12, 14)] == [(12, 14)]
    np.testing.assert_array_equal(float32.grad_pieces(12, 14)[0][0], [1.0, 0.0])  # b's and idle's flags


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_axpy_adds_in_place_into_a_view_and_blas_and_numpy_agree_for_powers_of_two(dtype):
    from dezero_mpi.shared_memory import AXPY_BLOCK, _numpy_axpy, axpy_for

    rng = np.random.default_rng(1)
    n = AXPY_BLOCK * 2 + 5  # several of numpy's blocks, and a partial one
    x = rng.normal(size=n).astype(dtype)
    table = rng.normal(size=(2, n + 3)).astype(dtype)
    expected = table[1, 3:] + x * dtype_type(dtype)(0.5)
    for axpy in (axpy_for(dtype), _numpy_axpy):
        y = table.copy()
        axpy(0.5, x, y[1, 3:])  # a view into a larger array, as a block of the average row
        np.testing.assert_array_equal(y[1, 3:], expected)
        np.testing.assert_array_equal(y[:, :3], table[:, :3])  # nothing outside the view
        np.testing.assert_array_equal(y[0], table[0])


def dtype_type(dtype):
    return np.dtype(dtype).type
