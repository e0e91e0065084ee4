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
        # a's 6, b's 2, idle's 3 zeros (no gradient), then one flag per parameter
        expected = [0.5, -1.5, 0.25, 1.0, 2.0, -0.5, 1.5, 5e-31, 0, 0, 0, 1, 1, 0]
        np.testing.assert_array_equal(packed, np.array(expected, dtype=np.float32))

        packed[:8] *= 2  # what the sum over two processes of the same gradients gives
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


def test_a_skipped_range_is_left_to_grad_pieces_which_give_the_gradients_there():
    named = named_params(np)
    float32, _ = make_buckets(named)  # a: 0-6, b: 6-8, idle: 8-11, flags: 11-14
    float32.buffer[:] = -9
    packed = float32.pack_grads(0.5, skip=(4, 10))
    np.testing.assert_array_equal(packed, np.array([0.5, -1.5, 0.25, 1.0, -9, -9, -9, -9, 0, 0, 0, 1, 1, 0],
                                                   dtype=np.float32))  # idle's zeros are written even there
    pieces = float32.grad_pieces(4, 10)
    assert [(start, stop) for _, start, stop in pieces] == [(4, 6), (6, 8), (8, 10)]
    np.testing.assert_array_equal(pieces[0][0], [4.0, -1.0])  # a's last two, unscaled
    np.testing.assert_array_equal(pieces[1][0], np.array([3.0, 1e-30], dtype=np.float32))
    assert pieces[2][0] is None  # idle has no gradient
