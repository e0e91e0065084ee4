"""Per-element adaptive learning rates: ``AdaGrad``, ``AdaDelta`` and ``RMSProp``."""
from __future__ import annotations

from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.optimizers.optimizer import Optimizer, zeros_like_all


class AdaGrad(Optimizer):
    """``h += g²;  p -= lr g / (√h + eps)``."""

    hyperparams = ("lr", "eps")
    elementwise = True

    def __init__(self, lr: float = 0.001, eps: float = 1e-8) -> None:
        super().__init__()
        self.lr = lr
        self.eps = eps

    def init_state(self, data: Any) -> dict[str, Any]:
        return zeros_like_all(data, "h")

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        h = state["h"]
        h += grad * grad
        denominator = backend_of(data).xp.sqrt(h)
        denominator += self.eps
        data -= self.lr * grad / denominator


class AdaDelta(Optimizer):
    """Zeiler's AdaDelta (no learning rate): running means of g² (``msg``) and of the steps (``msdx``).

    ``msg = ρ msg + (1-ρ) g²;  dx = √((msdx + eps) / (msg + eps)) g;  msdx = ρ msdx + (1-ρ) dx²;  p -= dx``.
    """

    hyperparams = ("rho", "eps")
    elementwise = True

    def __init__(self, rho: float = 0.95, eps: float = 1e-6) -> None:
        super().__init__()
        self.rho = rho
        self.eps = eps

    def init_state(self, data: Any) -> dict[str, Any]:
        return zeros_like_all(data, "msg", "msdx")

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        xp = backend_of(data).xp
        rho, eps, msg, msdx = self.rho, self.eps, state["msg"], state["msdx"]
        msg *= rho
        msg += (1 - rho) * grad * grad
        dx = xp.sqrt((msdx + eps) / (msg + eps))
        dx *= grad
        msdx *= rho
        msdx += (1 - rho) * dx * dx
        data -= dx


class RMSProp(Optimizer):
    """``ms = α ms + (1-α) g²;  p -= lr g / (√ms + eps)``."""

    hyperparams = ("lr", "alpha", "eps")
    elementwise = True

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__()
        self.lr = lr
        self.alpha = alpha
        self.eps = eps

    def init_state(self, data: Any) -> dict[str, Any]:
        return zeros_like_all(data, "ms")

    def update_one(self, data: Any, grad: Any, state: dict[str, Any]) -> None:
        ms = state["ms"]
        ms *= self.alpha
        ms += (1 - self.alpha) * grad * grad
        denominator = backend_of(data).xp.sqrt(ms)
        denominator += self.eps
        data -= self.lr * grad / denominator
