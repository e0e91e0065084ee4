"""Geometry shared by convolution and pooling: pairs, output sizes, and the checks that name bad input."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dezero_core.backend.windows import conv_outsize
from dezero_core.functions.validation import integer, require_float


def pair(value: Any) -> tuple[int, int]:
    """``(v, v)`` for an integral ``v``, ``(a, b)`` for a pair of integral values, as Python ints."""
    if not hasattr(value, "__len__") or getattr(value, "ndim", 1) == 0 or isinstance(value, str):
        try:
            v = integer(value)
        except TypeError:
            raise TypeError(f"expected an int or a pair of ints, got {value!r}") from None
        return v, v
    if len(value) != 2:
        raise ValueError(f"expected an int or a pair of ints, got {value!r} of length {len(value)}")
    try:
        return integer(value[0]), integer(value[1])
    except TypeError:
        raise TypeError(f"expected an int or a pair of ints, got {value!r}") from None


def get_conv_outsize(input_size: int, kernel_size: int, stride: int, pad: int) -> int:
    """Positions of a ``kernel_size`` window along an axis of ``input_size`` padded by ``pad`` on each side.

    ``(input_size + 2*pad - kernel_size) // stride + 1``: Chainer's convention with cover_all=False
    (a last partial window is dropped), as in the book.
    """
    return conv_outsize(input_size, kernel_size, stride, pad)


def get_deconv_outsize(size: int, kernel_size: int, stride: int, pad: int) -> int:
    """The output size of a transposed convolution: ``stride*(size - 1) + kernel_size - 2*pad``."""
    return stride * (size - 1) + kernel_size - 2 * pad


@dataclass(frozen=True)
class Window:
    """A 2-D sliding window: kernel (kh, kw), strides (sy, sx) and padding (ph, pw)."""

    kh: int
    kw: int
    sy: int
    sx: int
    ph: int
    pw: int

    @classmethod
    def of(cls, fn: str, kernel_size: Any, stride: Any, pad: Any) -> "Window":
        """The window of ``kernel_size``, ``stride`` and ``pad`` (ints or pairs), checked for ``fn``."""
        (kh, kw), (sy, sx), (ph, pw) = pair(kernel_size), pair(stride), pair(pad)
        if kh < 1 or kw < 1 or sy < 1 or sx < 1 or ph < 0 or pw < 0:
            raise ValueError(f"{fn}: kernel_size and stride must be >= 1 and pad >= 0, got "
                             f"kernel_size={(kh, kw)}, stride={(sy, sx)}, pad={(ph, pw)}")
        return cls(kh, kw, sy, sx, ph, pw)

    @property
    def args(self) -> tuple[int, int, int, int, int, int]:
        """``(kh, kw, sy, sx, ph, pw)``, the trailing arguments of the backend's im2col/col2im."""
        return self.kh, self.kw, self.sy, self.sx, self.ph, self.pw

    def outsize(self, h: int, w: int) -> tuple[int, int]:
        """(OH, OW) of the windows over an (h, w) image."""
        return conv_outsize(h, self.kh, self.sy, self.ph), conv_outsize(w, self.kw, self.sx, self.pw)

    def check_fits(self, fn: str, x_shape: tuple[int, ...]) -> None:
        """Raise when the kernel is larger than the padded image ``x_shape`` (N, C, H, W)."""
        h, w = x_shape[2], x_shape[3]
        if self.kh > h + 2 * self.ph or self.kw > w + 2 * self.pw:
            raise ValueError(
                f"{fn}: the {self.kh}x{self.kw} kernel does not fit in the input of shape {tuple(x_shape)} "
                f"padded by {(self.ph, self.pw)} (padded size {h + 2 * self.ph}x{w + 2 * self.pw}); use a "
                f"smaller kernel or more padding")


def check_image(fn: str, x: Any, arg: str = "x") -> None:
    """Raise unless ``x`` is a floating (N, C, H, W) batch."""
    require_float(fn, x, arg)
    if x.ndim != 4:
        raise ValueError(f"{fn}: {arg} must have shape (N, C, H, W) (4 dimensions), got shape {tuple(x.shape)}")


def check_weight(fn: str, x: Any, W: Any, b: Any, in_axis: int, out_axis: int, layout: str) -> None:
    """Raise unless ``W`` is a floating 4-D kernel whose axis ``in_axis`` matches x's channels.

    ``b`` (if given) must be a vector of W's ``out_axis`` size; ``layout`` names W's axes for messages.
    """
    require_float(fn, W, "W")
    if W.ndim != 4:
        raise ValueError(f"{fn}: W must have shape {layout} (4 dimensions), got shape {tuple(W.shape)}")
    if W.shape[in_axis] != x.shape[1]:
        raise ValueError(
            f"{fn}: x has {x.shape[1]} channels (shape {tuple(x.shape)}) but W of shape {tuple(W.shape)} "
            f"{layout} expects {W.shape[in_axis]} input channels; pass x with {W.shape[in_axis]} channels "
            f"or a W for {x.shape[1]}")
    if b is not None:
        require_float(fn, b, "b")
        if tuple(b.shape) != (W.shape[out_axis],):
            raise ValueError(f"{fn}: b must have shape ({W.shape[out_axis]},), one bias per output "
                             f"channel of W {tuple(W.shape)}, got shape {tuple(b.shape)}")
