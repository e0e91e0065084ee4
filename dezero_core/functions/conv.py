"""2-D convolution, its transpose, and the im2col/col2im pair, on NCHW batches.

A convolution is the backend's ``im2col`` (a strided view on numpy) copied once into a
``(C*KH*KW, N*OH*OW)`` matrix and ONE matrix product with the kernel. Its backward is a transposed
convolution for ``x`` (a matrix product, then ``col2im``) and one more matrix product for ``W``,
reusing the matrix the forward built. The three functions (``Conv2d``, ``Deconv2d``,
``Conv2dGradW``) are each other's gradients, so derivatives of any order are available.

Layouts are the book's: conv2d's W is (C_out, C_in, KH, KW); deconv2d's W is (C_in, C_out, KH, KW);
``im2col(..., to_matrix=True)`` gives (N*OH*OW, C*KH*KW).
"""
from __future__ import annotations

from typing import Any, Sequence

from dezero_core.functions.conv_utils import Window, check_image, check_weight, get_deconv_outsize, integer, pair
from dezero_core.functions.dispatch import forward_or_record
from dezero_core.functions.validation import require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


def col_matrix(xp: Any, x: Any, window: Window) -> Any:
    """The windows of ``x`` as a (C*KH*KW, N*OH*OW) matrix: the one copy a convolution makes.

    Rows run over (channel, kernel offset), columns over (sample, output pixel): this order copies
    the strided view with its contiguous image rows innermost, and makes the products with W and gy
    single large matrix products.
    """
    col = xp.im2col(x, *window.args)  # (N, C, KH, KW, OH, OW)
    c, kh, kw = col.shape[1:4]
    return xp.reshape(xp.permute_dims(col, (1, 2, 3, 0, 4, 5)), (c * kh * kw, -1))


def _channels_first(xp: Any, a: Any) -> Any:
    """(N, C, H, W) as a (C, N*H*W) matrix."""
    return xp.reshape(xp.permute_dims(a, (1, 0, 2, 3)), (a.shape[1], -1))


class Conv2d(Function):
    """``y[n, o] = sum_c W[o, c] * x[n, c] + b[o]`` (cross-correlation, as every framework)."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.col: Any = None

    def forward(self, xp, x, W, b=None):
        n, oc = x.shape[0], W.shape[0]
        oh, ow = self.window.outsize(x.shape[2], x.shape[3])
        self.col = col_matrix(xp, x, self.window)  # kept: the gradient of W is a product with it
        y = xp.reshape(xp.matmul(xp.reshape(W, (oc, -1)), self.col), (oc, n, oh, ow))
        if b is not None:
            y += xp.reshape(b, (oc, 1, 1, 1))
        # (N, C_out, OH, OW) as a view of the (C_out, N, OH, OW) product: elementwise operations
        # keep that memory order, and the backward's (C_out, N*OH*OW) view of gy is then free
        return xp.permute_dims(y, (1, 0, 2, 3))

    def backward(self, xp, xs, y, gy):
        x, W = xs[0], xs[1]
        gx = gW = gb = None
        if self.needs_grad[0]:
            gx = forward_or_record(Deconv2d(self.window, (x.shape[2], x.shape[3])), xp, gy, W)
        if self.needs_grad[1]:
            gW = forward_or_record(Conv2dGradW(self.window, self.col), xp, x, gy)
        if len(xs) == 2:
            return gx, gW
        if self.needs_grad[2]:
            gb = xp.sum(gy, axis=(0, 2, 3))
        return gx, gW, gb


class Deconv2d(Function):
    """The transposed convolution: ``W`` (C_in, C_out, KH, KW) spreads each input pixel over a
    KH x KW patch of the (N, C_out, OH, OW) output (the gradient of conv2d with respect to x)."""

    def __init__(self, window: Window, outsize: tuple[int, int]) -> None:
        self.window = window
        self.outsize = outsize

    def forward(self, xp, x, W, b=None):
        n, h, w = x.shape[0], x.shape[2], x.shape[3]
        c_out = W.shape[1]
        gcol = xp.tensordot(W, x, axes=([0], [1]))  # (C_out, KH, KW, N, H, W): one matrix product
        col = xp.permute_dims(gcol, (3, 0, 1, 2, 4, 5))
        y = xp.col2im(col, (n, c_out) + tuple(self.outsize), *self.window.args)
        if b is not None:
            y = y + xp.reshape(b, (1, c_out, 1, 1))
        return y

    def backward(self, xp, xs, y, gy):
        x, W = xs[0], xs[1]
        gx = gW = gb = None
        if self.needs_grad[0]:
            gx = forward_or_record(Conv2d(self.window), xp, gy, W)
        if self.needs_grad[1]:
            gW = forward_or_record(Conv2dGradW(self.window), xp, gy, x)
        if len(xs) == 2:
            return gx, gW
        if self.needs_grad[2]:
            gb = xp.sum(gy, axis=(0, 2, 3))
        return gx, gW, gb


class Conv2dGradW(Function):
    """The gradient of conv2d with respect to W: ``gW[o, c, i, j] = sum gy[n, o] * x[n, c] (shifted)``.

    ``col`` is the forward's window matrix of ``x`` when the caller still has it.
    """

    def __init__(self, window: Window, col: Any = None) -> None:
        self.window = window
        self.col = col

    def forward(self, xp, x, gy):
        col = self.col if self.col is not None else col_matrix(xp, x, self.window)
        gW = xp.matmul(_channels_first(xp, gy), xp.matrix_transpose(col))  # (C_out, C_in*KH*KW)
        return xp.reshape(gW, (gy.shape[1], x.shape[1], self.window.kh, self.window.kw))

    def backward(self, xp, xs, y, ggW):
        x, gy = xs
        gx = ggy = None
        if self.needs_grad[0]:
            gx = forward_or_record(Deconv2d(self.window, (x.shape[2], x.shape[3])), xp, gy, ggW)
        if self.needs_grad[1]:
            ggy = forward_or_record(Conv2d(self.window), xp, x, ggW)
        return gx, ggy


class Im2col(Function):
    """The book's im2col: (N, C, H, W) -> (N*OH*OW, C*KH*KW), or (N, C, KH, KW, OH, OW)."""

    def __init__(self, window: Window, to_matrix: bool) -> None:
        self.window = window
        self.to_matrix = to_matrix

    def forward(self, xp, x):
        col = xp.im2col(x, *self.window.args)
        if not self.to_matrix:
            return col
        n, c, kh, kw, oh, ow = col.shape
        return xp.reshape(xp.permute_dims(col, (0, 4, 5, 1, 2, 3)), (n * oh * ow, c * kh * kw))

    def backward(self, xp, xs, y, gy):
        return forward_or_record(Col2im(self.window, tuple(xs[0].shape), self.to_matrix), xp, gy)


class Col2im(Function):
    """The adjoint of :class:`Im2col`: window elements summed back into an (N, C, H, W) image."""

    def __init__(self, window: Window, img_shape: tuple[int, ...], to_matrix: bool) -> None:
        self.window = window
        self.img_shape = img_shape
        self.to_matrix = to_matrix

    def forward(self, xp, col):
        if self.to_matrix:
            n, c, h, w = self.img_shape
            oh, ow = self.window.outsize(h, w)
            col = xp.reshape(col, (n, oh, ow, c, self.window.kh, self.window.kw))
            col = xp.permute_dims(col, (0, 3, 4, 5, 1, 2))
        return xp.col2im(col, self.img_shape, *self.window.args)

    def backward(self, xp, xs, y, gy):
        return forward_or_record(Im2col(self.window, self.to_matrix), xp, gy)


# -- the public functions -------------------------------------------------------------------------
X = Arg((2, 3, 5, 5))
W = Arg((4, 3, 3, 3))
SMALL_X = Arg((1, 2, 5, 5))
SMALL_W = Arg((3, 2, 3, 3))


@checked((X, W, Arg((4,))), (SMALL_X, SMALL_W), (SMALL_X, SMALL_W, Arg((3,)), 2, 1),
         (Arg((1, 2, 6, 5)), Arg((3, 2, 2, 3)), None, (2, 1), (0, 1)), double_grad=True)
def conv2d(x: Any, W: Any, b: Any = None, stride: int | Sequence[int] = 1,
           pad: int | Sequence[int] = 0) -> Variable:
    """2-D convolution of ``x`` (N, C_in, H, W) with ``W`` (C_out, C_in, KH, KW), plus ``b`` (C_out,).

    ``stride`` and ``pad`` are ints or (vertical, horizontal) pairs; padding is zeros. The output is
    (N, C_out, OH, OW) with ``OH = (H + 2*pad - KH) // stride + 1`` (a last partial window is dropped).
    """
    check_image("conv2d", x)
    check_weight("conv2d", x, W, b, 1, 0, "(C_out, C_in, KH, KW)")
    window = Window.of("conv2d", (W.shape[2], W.shape[3]), stride, pad)
    window.check_fits("conv2d", tuple(x.shape))
    return Conv2d(window)(x, W) if b is None else Conv2d(window)(x, W, b)


@checked((Arg((1, 3, 3, 3)), SMALL_W), (Arg((2, 3, 3, 3)), SMALL_W, Arg((2,)), 2, 1),
         (Arg((1, 2, 3, 2)), Arg((2, 3, 2, 3)), None, (2, 1), (1, 0), (5, 4)), double_grad=True)
def deconv2d(x: Any, W: Any, b: Any = None, stride: int | Sequence[int] = 1, pad: int | Sequence[int] = 0,
             outsize: Sequence[int] | None = None) -> Variable:
    """Transposed convolution of ``x`` (N, C_in, H, W) with ``W`` (C_in, C_out, KH, KW), plus ``b`` (C_out,).

    The output is (N, C_out, OH, OW) with ``OH = stride*(H - 1) + KH - 2*pad`` unless ``outsize``
    gives (OH, OW): with stride > 1 several sizes convolve back to H, and ``outsize`` picks one.
    """
    check_image("deconv2d", x)
    check_weight("deconv2d", x, W, b, 0, 1, "(C_in, C_out, KH, KW)")
    window = Window.of("deconv2d", (W.shape[2], W.shape[3]), stride, pad)
    h, w = x.shape[2], x.shape[3]
    default = (get_deconv_outsize(h, window.kh, window.sy, window.ph),
               get_deconv_outsize(w, window.kw, window.sx, window.pw))
    outsize = default if outsize is None else pair(outsize)
    if min(outsize) < 1 or window.outsize(*outsize) != (h, w):
        raise ValueError(
            f"deconv2d: an output of size {outsize} does not convolve back to the input's {(h, w)} with "
            f"kernel {(window.kh, window.kw)}, stride {(window.sy, window.sx)} and pad {(window.ph, window.pw)}; "
            f"the default is {default}")
    fn = Deconv2d(window, outsize)
    return fn(x, W) if b is None else fn(x, W, b)


@checked((SMALL_X, 3), (SMALL_X, (2, 3), (2, 1), (1, 0)), Sample((SMALL_X, 3, 2, 1), {"to_matrix": False}),
         double_grad=True)
def im2col(x: Any, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
           pad: int | Sequence[int] = 0, to_matrix: bool = True) -> Variable:
    """The sliding windows of ``x`` (N, C, H, W), zero-padded by ``pad``.

    With ``to_matrix`` (the default) one row per window: (N*OH*OW, C*KH*KW), rows ordered by
    (sample, output row, output column) and columns by (channel, kernel row, kernel column), as in
    the book. Otherwise (N, C, KH, KW, OH, OW); on numpy that is a read-only view of ``x``.
    """
    check_image("im2col", x)
    window = Window.of("im2col", kernel_size, stride, pad)
    window.check_fits("im2col", tuple(x.shape))
    return Im2col(window, to_matrix)(x)


@checked((Arg((1 * 3 * 3, 2 * 9)), (1, 2, 5, 5), 3), (Arg((1 * 3 * 3, 2 * 6)), (1, 2, 5, 5), (2, 3), (2, 1), (1, 0)),
         Sample((Arg((1, 2, 3, 3, 3, 3)), (1, 2, 5, 5), 3, 2, 1), {"to_matrix": False}), double_grad=True)
def col2im(col: Any, input_shape: Sequence[int], kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
           pad: int | Sequence[int] = 0, to_matrix: bool = True) -> Variable:
    """The adjoint of :func:`im2col`: every window element added back at its pixel of an image of
    ``input_shape`` (N, C, H, W); pixels in several windows get the sum. ``col`` is laid out as
    im2col returns it for the same ``to_matrix``."""
    require_float("col2im", col, "col")
    input_shape = tuple(integer(v) for v in input_shape)
    if len(input_shape) != 4:
        raise ValueError(f"col2im: input_shape must be (N, C, H, W), got {input_shape}")
    window = Window.of("col2im", kernel_size, stride, pad)
    window.check_fits("col2im", input_shape)
    n, c, h, w = input_shape
    oh, ow = window.outsize(h, w)
    expected = (n * oh * ow, c * window.kh * window.kw) if to_matrix else (n, c, window.kh, window.kw, oh, ow)
    if tuple(col.shape) != expected:
        raise ValueError(f"col2im: col must have shape {expected} for input_shape {input_shape}, kernel "
                         f"{(window.kh, window.kw)}, stride {(window.sy, window.sx)}, pad {(window.ph, window.pw)} "
                         f"and to_matrix={to_matrix}; got {tuple(col.shape)}")
    return Col2im(window, input_shape, to_matrix)(col)


__all__ = ["col2im", "conv2d", "deconv2d", "im2col"]
