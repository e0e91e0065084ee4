"""Matrix products."""
from __future__ import annotations

from typing import Any

from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, checked


def _mT(xp: Any, a: Any) -> Any:
    return xp.matrix_transpose(a) if a.ndim > 2 else (a.T if a.ndim == 2 else a)


class MatMul(Function):
    def forward(self, xp, a, b):
        return xp.matmul(a, b)

    def backward(self, xp, xs, y, gy):
        a, b = xs
        if a.ndim < 2 or b.ndim < 2:
            raise NotImplementedError("matmul backward needs inputs of at least 2 dimensions")
        ga = xp.sum_to(xp.matmul(gy, _mT(xp, b)), a.shape) if self.needs_grad[0] else None
        gb = xp.sum_to(xp.matmul(_mT(xp, a), gy), b.shape) if self.needs_grad[1] else None
        return ga, gb


@checked((Arg((2, 3)), Arg((3, 4))), (Arg((5, 2, 3)), Arg((3, 4))), (Arg((5, 2, 3)), Arg((5, 3, 4))),
         double_grad=True)
def matmul(a: Any, b: Any) -> Variable:
    """The matrix product ``a @ b`` (batched over leading axes, with broadcasting)."""
    return MatMul()(a, b)
