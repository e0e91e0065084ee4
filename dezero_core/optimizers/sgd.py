"""Gradient descent: ``SGD``, ``MomentumSGD`` and ``Nesterov`` (accelerated gradient)."""
from __future__ import annotations

from typing import Any

from dezero_core.optimizers.optimizer import Optimizer, zeros_like_all


class SGD(Optimizer):
    """``p -= lr * g``."""

    hyperparams = ("lr",)
    elementwise = True

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = lr

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        data -= self.lr * grad


class MomentumSGD(Optimizer):
    """``v = momentum * v - lr * g; p += v`` (``v`` starts at zero): the book's form.

    The velocity holds the learning rate. While ``lr`` is constant this is PyTorch's
    ``v = momentum * v + g; p -= lr * v``; when a schedule changes ``lr``, the new rate applies to new
    gradients only, and the old one fades out of ``v`` at the pace of ``momentum`` (PyTorch applies
    the new rate to the whole velocity at once).
    """

    hyperparams = ("lr", "momentum")
    elementwise = True

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__()
        self.lr = lr
        self.momentum = momentum

    def init_state(self, data: Any) -> dict[str, Any]:
        return zeros_like_all(data, "v")

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        v = state["v"]
        v *= self.momentum
        v -= self.lr * grad
        data += v


class Nesterov(Optimizer):
    """Nesterov's accelerated gradient in the form that needs no look-ahead pass (Bengio et al., 2012).

    With ``v' = μ v - lr g``: ``p += μ² v - (1 + μ) lr g`` (the old ``v``), then ``v = v'``. Like
    :class:`MomentumSGD`, the velocity holds the learning rate (see there for schedules).
    """

    hyperparams = ("lr", "momentum")
    elementwise = True

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__()
        self.lr = lr
        self.momentum = momentum

    def init_state(self, data: Any) -> dict[str, Any]:
        return zeros_like_all(data, "v")

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        mu, v = self.momentum, state["v"]
        data += (mu * mu) * v
        data -= ((1 + mu) * self.lr) * grad
        v *= mu
        v -= self.lr * grad
