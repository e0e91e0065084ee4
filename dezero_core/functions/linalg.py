"""Matrix products."""
from __future__ import annotations

from typing import Any

from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked


def _mT(xp: Any, a: Any) -> Any:
    return xp.matrix_transpose(a) if a.ndim > 2 else a.T


class MatMul(Function):
    """``a @ b`` with numpy's rules: a 1-D ``a`` is a row (1, n), a 1-D ``b`` a column (n, 1), and
    that axis is dropped from the result. The backward works on those matrices and reshapes back."""

    def forward(self, xp, a, b):
        return xp.matmul(a, b)

    def backward(self, xp, xs, y, gy):
        a, b = xs
        a2 = xp.reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
        b2 = xp.reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
        if a.ndim == 1 or b.ndim == 1:  # gy as the product of a2 and b2: put the dropped axes back
            shape = tuple(gy.shape) + ((1,) if b.ndim == 1 else ())
            if a.ndim == 1:
                shape = shape[:-1] + (1,) + shape[-1:]
            gy = xp.reshape(gy, shape)
        ga = gb = None
        if self.needs_grad[0]:
            ga = xp.sum_to(xp.matmul(gy, _mT(xp, b2)), a2.shape)
            ga = xp.reshape(ga, a.shape) if a.ndim == 1 else ga
        if self.needs_grad[1]:
            gb = xp.sum_to(xp.matmul(_mT(xp, a2), gy), b2.shape)
            gb = xp.reshape(gb, b.shape) if b.ndim == 1 else gb
        return ga, gb


@checked((Arg((2, 3)), Arg((3, 4))), (Arg((5, 2, 3)), Arg((3, 4))), (Arg((5, 2, 3)), Arg((5, 3, 4))),
         (Arg((3,)), Arg((3, 4))), (Arg((2, 3)), Arg((3,))), (Arg((3,)), Arg((3,))), (Arg((3,)), Arg((5, 3, 4))),
         double_grad=True)
def matmul(a: Any, b: Any) -> Variable:
    """The matrix product ``a @ b`` (batched over leading axes, with broadcasting; 1-D operands as in
    numpy: a vector on the left is a row, on the right a column)."""
    return MatMul()(a, b)
