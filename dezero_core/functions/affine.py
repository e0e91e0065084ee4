"""The fully connected layer's function: ``y = x @ W + b``, W of shape (in, out) as in the book."""
from __future__ import annotations

from typing import Any

from dezero_core.functions.validation import require_float
from dezero_core.graph.function import Function
from dezero_core.graph.grad_buffers import out_for
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked


class Linear(Function):
    def forward(self, xp, x, W, b=None):
        y = xp.matmul(x, W)
        if b is not None:
            y += b  # in place: the product is a fresh array
        return y

    def backward(self, xp, xs, y, gy):
        x, W = xs[0], xs[1]
        gx = gW = gb = None
        if self.needs_grad[0]:
            # skipped for the batch fed to a model: a whole matrix product saved per step
            gx = xp.matmul(gy, xp.matrix_transpose(W))
        if self.needs_grad[1] or (len(xs) == 3 and self.needs_grad[2]):
            rows_x = xp.reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
            rows_gy = xp.reshape(gy, (-1, gy.shape[-1])) if gy.ndim != 2 else gy
            # straight into the weight's gradient buffer where it has one (grad_buffers.py); the
            # bias's small gradient is copied into its buffer by the backward engine
            if self.needs_grad[1]:
                gW = xp.matmul(xp.matrix_transpose(rows_x), rows_gy, **out_for(self, 1, rows_gy))
            if len(xs) == 3 and self.needs_grad[2]:
                gb = xp.sum(rows_gy, axis=0)
        return (gx, gW) if len(xs) == 2 else (gx, gW, gb)


@checked((Arg((4, 3)), Arg((3, 2))), (Arg((4, 3)), Arg((3, 2)), Arg((2,))), (Arg((2, 4, 3)), Arg((3, 2)), Arg((2,))),
         double_grad=True)
def linear(x: Any, W: Any, b: Any = None) -> Variable:
    """``x @ W + b`` for ``x`` of shape (..., in), ``W`` (in, out) and ``b`` (out,) or None.

    No gradient is computed for an input that needs none (the data batch): only ``W`` and ``b``
    cost a matrix product in backward.
    """
    require_float("linear", x)
    require_float("linear", W, "W")
    if W.ndim != 2:
        raise ValueError(f"linear: W must have shape (in, out) (the book's layout), got {tuple(W.shape)}")
    if x.ndim == 0 or x.shape[-1] != W.shape[0]:
        raise ValueError(f"linear: x of shape {tuple(x.shape)} must end with W's input size {W.shape[0]} "
                         f"(W has shape (in, out) = {tuple(W.shape)})")
    if b is not None:
        require_float("linear", b, "b")
        if tuple(b.shape) != (W.shape[1],):
            raise ValueError(f"linear: b must have shape ({W.shape[1]},), one bias per output of W "
                             f"{tuple(W.shape)}, got {tuple(b.shape)}")
    return Linear()(x, W) if b is None else Linear()(x, W, b)
