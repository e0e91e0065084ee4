"""The CUDA source of the elementwise kernels: im2col/col2im (in the protocol's ``(N, C, KH, KW, OH, OW)``
layout) and the fused Adam update.

Kept apart from :mod:`dezero_cupy.kernels` (which builds them with cupy) so that the kernel text can be
read without cupy: ``tests/cupy/test_kernel_index_math.py`` and ``tests/cupy/test_adam_kernel_emulation.py``
interpret these bodies on the CPU.

One GPU thread per output element, as in Chainer's kernels: im2col gathers one patch value
(``pad_value`` in the padding), col2im sums, for one image pixel, every patch value that was read
from it (a gather, so no atomics). ``i`` is CuPy's linear index of the output element; ``img`` and
``col`` (the ``raw`` ones) are flat, C-contiguous arrays. Index arithmetic runs in the type ``I``:
int32 whenever every index fits (:func:`index_bits`), because a 32-bit division costs a fraction of
a 64-bit one on a GPU, and int64 otherwise.
"""
from __future__ import annotations

#: ``cupy.ElementwiseKernel(in_params, out_params, operation, name)`` of im2col
IM2COL = (
    "raw T img, T pad_value, I h, I w, I out_h, I out_w, I kh, I kw, I sy, I sx, I ph, I pw",
    "T col",
    """
    const I k = (I)i;
    const I ox = k % out_w;
    const I oy = k / out_w % out_h;
    const I kx = k / (out_w * out_h) % kw;
    const I ky = k / (out_w * out_h * kw) % kh;
    const I nc = k / (out_w * out_h * kw * kh);  // image and channel, flattened
    const I y = oy * sy + ky - ph;
    const I x = ox * sx + kx - pw;
    col = (0 <= y && y < h && 0 <= x && x < w) ? img[(nc * h + y) * w + x] : pad_value;
    """,
    "dezero_im2col",
)

#: ``cupy.ElementwiseKernel(in_params, out_params, operation, name)`` of col2im
COL2IM = (
    "raw T col, I h, I w, I out_h, I out_w, I kh, I kw, I sy, I sx, I ph, I pw",
    "T img",
    """
    const I k = (I)i;
    const I x = k % w;
    const I y = k / w % h;
    const I nc = k / (w * h);
    T total = (T)0;
    for (I ky = 0; ky < kh; ++ky) {
        const I ty = y + ph - ky;  // = oy * sy for the output row that read (y, x) at offset ky
        if (ty < 0 || ty % sy != 0 || ty / sy >= out_h) continue;
        const I oy = ty / sy;
        for (I kx = 0; kx < kw; ++kx) {
            const I tx = x + pw - kx;
            if (tx < 0 || tx % sx != 0 || tx / sx >= out_w) continue;
            // not +=: Chainer's float16-tested kernel uses this form
            total = total + col[(((nc * kh + ky) * kw + kx) * out_h + oy) * out_w + tx / sx];
        }
    }
    img = total;
    """,
    "dezero_col2im",
)


def index_bits(*sizes: int) -> int:
    """The width of ``I`` for arrays of these sizes: 32 when every size is below 2**31, else 64.

    Every intermediate of the kernels' index arithmetic is at most the larger array's size (checked
    by the CPU interpretation of the kernels), so the sizes alone decide.
    """
    return 32 if max(sizes) < 2**31 else 64


#: ``cupy.ElementwiseKernel(in_params, out_params, operation, name)`` of the fused Adam update
#: (``ArrayBackend.optimizer_kernel("adam")``), built with :data:`ADAM_OPTIONS`.
#:
#: One thread per element updates ``m``, ``v`` and the parameter ``data`` in place (they are output
#: parameters, read and written), as Chainer's Adam kernel does: one launch where the portable chain
#: of :meth:`dezero_core.optimizers.Adam.update_one` takes a dozen. The operations and their order are
#: the portable ones (``m *= b1; m += (1-b1) g`` ...), one per statement, each result rounded to ``T``:
#: numpy's fused Adam and the portable update do exactly this, so the results should be theirs to the
#: bit (float16 included: cupy's ``float16`` computes each operation in float and rounds the result on
#: assignment, as numpy's float16 loops do; a float16 ``eps`` of 1e-8 is 0 there as in numpy).
#: ``one_minus_beta1``/``one_minus_beta2`` come computed in double on the host: ``(T)1 - beta2`` in
#: float32 is 1.3e-5 away from 0.001. Each moment is a sum, never a difference (the form
#: ``v = (v - g*g) * b2 + g*g`` cancels where v << g*g). Checked in a CPU emulation of this body; not
#: yet run on a GPU (tests/cupy/test_cupy_gpu.py runs it where one is present).
ADAM = (
    "T grad, T beta1, T one_minus_beta1, T beta2, T one_minus_beta2, T step_size, T eps",
    "T data, T m, T v",
    """
    T t = grad * one_minus_beta1;  // m = b1 m + (1-b1) g
    m = m * beta1;
    m = m + t;
    t = grad * grad;  // v = b2 v + (1-b2) g*g
    t = t * one_minus_beta2;
    v = v * beta2;
    v = v + t;
    t = sqrt(v);
    t = t + eps;
    t = m / t;
    t = t * step_size;
    data = data - t;
    """,
    "dezero_adam",
)

#: NVRTC options of :data:`ADAM`. By default NVRTC contracts a multiplication followed by an addition
#: into one fused multiply-add, which rounds once instead of twice: ``t * beta1`` then ``+ grad`` would
#: differ from numpy's result in the last bit. Division and square root are IEEE-rounded by default
#: (``-prec-div``/``-prec-sqrt`` are on unless ``--use_fast_math``).
ADAM_OPTIONS = ("--fmad=false",)
