"""``Adam`` and ``AdamW`` (Adam with decoupled weight decay), updating in place.

A textbook numpy Adam (``m = b1*m + (1-b1)*g`` ...) allocates about ten temporary arrays of the
parameter's size per step; on an MLP that is a third of the epoch. Here the moments are allocated
once and updated with augmented assignments: ``m *= b1; m += (1-b1)*g``. A step allocates four
temporaries ((1-b1)·g, g², √v and the step) instead of about ten; a backend's fused kernel
(``ArrayBackend.optimizer_kernel("adam")``, numpy's with output arguments) does the same arithmetic
with one, and is handed whole parameters: numpy's runs a large one by cache-sized blocks itself.

Each moment is a sum of two non-negative-weighted terms, never a difference: the shorter form
``v -= g²; v *= b2; v += g²`` is equal only in exact arithmetic, and where ``v`` is much smaller than
``g²`` (the first step, a gradient spike) its subtraction cancels and multiplies the rounding error
by ``1/(1-b2)``, a thousand for the default ``b2`` (float32 ``v`` off by 7e-5 after one step).
``1 - b1`` and ``1 - b2`` are computed in Python floats, then rounded once to the parameter's dtype.
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.optimizers.optimizer import Optimizer, zeros_like_all


#: array type -> the backend's fused Adam update, or None for the portable one below
_kernels: dict[type, Any] = {}
#: array type -> the backend's fused AdamW update (Adam's, the decay first), or None
_adamw_kernels: dict[type, Any] = {}
_UNKNOWN = object()


class Adam(Optimizer):
    """Adam (Kingma & Ba): moments ``m`` and ``v`` with bias correction by the step count ``t``.

    ``m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²;  p -= lr √(1-b2^t)/(1-b1^t) · m / (√v + eps)``.
    ``alpha`` is accepted as the book's (and Chainer's) name of ``lr``.
    """

    hyperparams = ("lr", "beta1", "beta2", "eps")
    elementwise = True
    #: the name of this optimizer's fused update (:meth:`ArrayBackend.optimizer_kernel`)
    kernel_name = "adam"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, *,
                 alpha: float | None = None) -> None:
        super().__init__()
        self.lr = lr if alpha is None else alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    def step_size(self) -> float:
        """The bias-corrected learning rate of the current step ``t`` (the book's ``Adam.lr``)."""
        t = max(self.t, 1)
        return self.lr * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)

    def begin_step(self) -> None:
        self._step_size = self.step_size()  # once per step, not once per parameter

    def init_state(self, data: Any) -> dict[str, Any]:
        return zeros_like_all(data, "m", "v")

    def update_param(self, name: str, data: Any, grad: Any) -> None:
        """A backend's fused kernel takes the whole parameter: it runs a large one by cache-sized
        blocks itself where that pays (numpy: one scratch block for all of them, no row slices and
        state dicts per block); without a kernel, :meth:`Optimizer.update_param`'s row blocks."""
        kernel = _kernel_for(data)
        if kernel is None:
            super().update_param(name, data, grad)
            return
        self.update_with(kernel, name, data, grad)

    def update_with(self, kernel: Any, name: str, data: Any, grad: Any) -> None:
        """Update parameter ``name`` with the fused kernel ``kernel`` (of :attr:`kernel_name`'s protocol)."""
        slots = self.slots_of(name, data)
        kernel(data, grad, slots["m"], slots["v"], *self.kernel_numbers())

    def kernel_numbers(self) -> tuple[float, ...]:
        """The numbers a fused kernel takes after ``(data, grad, m, v)``, for the current step."""
        return self.beta1, self.beta2, self._step_size, self.eps

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        m, v = state["m"], state["v"]
        kernel = _kernel_for(data)
        if kernel is not None:
            kernel(data, grad, m, v, self.beta1, self.beta2, self._step_size, self.eps)
            return
        m *= self.beta1
        m += grad * (1.0 - self.beta1)
        g2 = grad * grad
        g2 *= 1.0 - self.beta2
        v *= self.beta2
        v += g2
        denominator = backend_of(data).xp.sqrt(v)
        denominator += self.eps
        step = m / denominator
        step *= self._step_size
        data -= step


def _kernel_for(data: Any, name: str = "adam") -> Any:
    """The fused update ``name`` (``"adam"`` or ``"adamw"``) of ``data``'s backend, or None (looked up
    once per array type)."""
    kernels = _kernels if name == "adam" else _adamw_kernels
    kernel = kernels.get(type(data), _UNKNOWN)
    if kernel is _UNKNOWN:
        kernel = kernels[type(data)] = backend_of(data).optimizer_kernel(name)
    return kernel


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p -= lr · weight_decay · p`` each step,
    then the Adam update (the decay does not pass through the moments, unlike ``WeightDecay``)."""

    hyperparams = Adam.hyperparams + ("weight_decay",)
    kernel_name = "adamw"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(lr, beta1, beta2, eps)
        self.weight_decay = weight_decay

    def update_param(self, name: str, data: Any, grad: Any) -> None:
        """The backend's fused AdamW takes the whole parameter, decaying each block it updates
        where it blocks. Without one, :meth:`Optimizer.update_param`'s row blocks: the decay in
        each block, then Adam's update of it, while it is in cache (a whole-array decay before a
        blocked Adam kernel would stream the parameter through memory once more)."""
        kernel = _kernel_for(data, "adamw") if _kernel_for(data) is not None else None
        if kernel is None:  # no fused Adam either (or the portable one was asked for): no fused AdamW
            Optimizer.update_param(self, name, data, grad)
            return
        self.update_with(kernel, name, data, grad)

    def kernel_numbers(self) -> tuple[float, ...]:
        """Adam's, then the decay ``1 - lr · weight_decay``."""
        return super().kernel_numbers() + (1.0 - self.lr * self.weight_decay,)

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        data *= 1.0 - self.lr * self.weight_decay
        super().update_one(data, grad, state)
