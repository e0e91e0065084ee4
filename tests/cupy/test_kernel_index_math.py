"""The index arithmetic of the CUDA im2col/col2im kernels, interpreted on the CPU: an EMULATION, not a GPU test.

The kernel bodies of :mod:`dezero_cupy.kernel_source` (the exact text CuPy compiles) are translated
statement by statement into Python (by ``kernel_emulation``) and run once per output element ``i``, as
CuPy's elementwise loop does, with C's integer semantics: ``/`` truncates, ``%`` takes the dividend's
sign. The results are compared with the numpy backend's im2col/col2im. Every intermediate index is
also checked to stay within the larger array's size, which is what lets ``index_bits`` choose int32
from the sizes alone.

What this cannot check: that the CUDA compiles and runs on a device, CuPy's argument passing and
launch, and float16 arithmetic on the GPU. Those are tests/cupy/test_cupy_gpu.py's (they need a GPU).
No cupy is imported here.
"""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import get_backend
from dezero_cupy import kernel_source
from kernel_emulation import CInt, Raw, run

# (N, C, H, W), kernel, stride, padding: square and not, strided, padded, a kernel as big as the
# image, a stride larger than the kernel (pixels no window reads), padding larger than the kernel
CASES = [((2, 3, 5, 5), (3, 3), (1, 1), (1, 1)), ((1, 2, 7, 6), (3, 2), (2, 3), (0, 1)),
         ((2, 1, 4, 4), (4, 4), (1, 1), (0, 0)), ((3, 4, 8, 8), (2, 2), (2, 2), (0, 0)),
         ((1, 2, 7, 7), (2, 2), (3, 3), (1, 0)), ((1, 1, 2, 3), (1, 2), (1, 1), (2, 2))]


def geometry(shape, k, s, p) -> dict:
    n, c, h, w = shape
    return dict(h=h, w=w, out_h=(h + 2 * p[0] - k[0]) // s[0] + 1, out_w=(w + 2 * p[1] - k[1]) // s[1] + 1,
                kh=k[0], kw=k[1], sy=s[0], sx=s[1], ph=p[0], pw=p[1])


@pytest.fixture(autouse=True)
def bounded_by_the_larger_array(monkeypatch):
    """Each test sets CInt.bound to its larger array's size; restored afterwards."""
    monkeypatch.setattr(CInt, "bound", CInt.bound)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,k,s,p", CASES)
def test_im2col_kernel_body_matches_the_numpy_backend(shape, k, s, p, dtype) -> None:
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    want = np.asarray(get_backend("numpy").im2col(x, *k, *s, *p, pad_value=-7.0))
    CInt.bound = max(x.size, want.size)
    got = run(kernel_source.IM2COL, {"img": Raw(x)},
              {"pad_value": x.dtype.type(-7.0), **geometry(shape, k, s, p)}, want.size, dtype)
    np.testing.assert_array_equal(got.reshape(want.shape), want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,k,s,p", CASES)
def test_col2im_kernel_body_matches_the_numpy_backend(shape, k, s, p, dtype) -> None:
    g = geometry(shape, k, s, p)
    col_shape = shape[:2] + k + (g["out_h"], g["out_w"])
    col = np.random.default_rng(1).standard_normal(col_shape).astype(dtype)
    want = get_backend("numpy").col2im(col, shape, *k, *s, *p)
    CInt.bound = max(col.size, want.size)
    got = run(kernel_source.COL2IM, {"col": Raw(col)}, g, want.size, dtype)
    # the same additions in the same order per pixel (ky, then kx): equal, not merely close
    np.testing.assert_array_equal(got.reshape(shape), want)


def test_the_emulated_division_truncates_as_c_does() -> None:
    assert (CInt(-7) / 2, CInt(-7) % 2, CInt(7) / -2, CInt(7) % -2) == (-3, -1, -3, 1)


def test_an_index_beyond_the_bound_is_an_overflow() -> None:
    CInt.bound = 10
    with pytest.raises(OverflowError, match="index intermediate 12 exceeds 10"):
        CInt(4) * 3


@pytest.mark.parametrize("sizes,bits", [((10, 2**31 - 1), 32), ((2**31, 5), 64), ((1,), 32)])
def test_index_width_follows_the_larger_array(sizes, bits) -> None:
    assert kernel_source.index_bits(*sizes) == bits
