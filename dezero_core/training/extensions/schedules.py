"""Learning-rate schedules: set the optimizer's learning rate at the start of every epoch.

A schedule multiplies the base rate (the optimizer's rate when training starts) by
``factor(epoch)``, epochs counted from 1, so it is a pure function of the epoch and resumes exactly.

``MomentumSGD`` and ``Nesterov`` keep the rate inside their velocity (``v = momentum*v - lr*g``, the
book's form): a new rate applies to new gradients, and the old one fades out of the velocity over
about ``1/(1 - momentum)`` steps, where PyTorch's SGD would apply it to the whole velocity at once.
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.hookspecs import hookimpl

#: where optimizers keep their learning rate: ``lr``, or ``alpha`` when ``lr`` is a computed property
#: (the book's Adam); RMSProp's ``alpha`` is a decay, hence ``lr`` first
RATE_ATTRIBUTES = ("lr", "alpha")


def rate_attribute(optimizer: Any) -> str:
    """The name of ``optimizer``'s learning-rate attribute."""
    for name in RATE_ATTRIBUTES:
        if isinstance(getattr(type(optimizer), name, None), property):
            continue  # Adam's ``lr`` is computed from ``alpha``: set that instead
        if hasattr(optimizer, name):
            return name
    raise AttributeError(f"{type(optimizer).__name__} has no learning rate attribute "
                         f"({' or '.join(RATE_ATTRIBUTES)}) for a schedule to set")


class LRSchedule:
    """Base class: subclasses define :meth:`factor`."""

    def __init__(self) -> None:
        self.base_lr: float | None = None

    def factor(self, epoch: int) -> float:
        """The multiplier of the base rate during ``epoch`` (from 1)."""
        raise NotImplementedError

    @hookimpl
    def dezero_epoch_start(self, trainer: Any, epoch: int) -> None:
        name = rate_attribute(trainer.optimizer)
        if self.base_lr is None:
            self.base_lr = float(getattr(trainer.optimizer, name))
        setattr(trainer.optimizer, name, self.base_lr * self.factor(epoch))

    def state_dict(self) -> dict[str, Any]:
        """The base rate (kept in checkpoints, since the optimizer's own rate has been changed)."""
        return {"base_lr": self.base_lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.base_lr = state["base_lr"]


class StepLR(LRSchedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        super().__init__()
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma

    def factor(self, epoch: int) -> float:
        return self.gamma ** ((epoch - 1) // self.step_size)


class ExponentialLR(LRSchedule):
    """Multiply the rate by ``gamma`` every epoch."""

    def __init__(self, gamma: float) -> None:
        super().__init__()
        self.gamma = gamma

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch - 1)


class CosineAnnealingLR(LRSchedule):
    """Decrease the rate along half a cosine from the base rate (epoch 1) to ``eta_min`` (epoch
    ``t_max`` and after)."""

    def __init__(self, t_max: int, eta_min: float = 0.0) -> None:
        super().__init__()
        if not isinstance(t_max, int) or t_max < 1:
            raise ValueError(f"t_max must be a positive integer, got {t_max!r}")
        self.t_max = t_max
        self.eta_min = eta_min

    def factor(self, epoch: int) -> float:
        assert self.base_lr is not None
        progress = min(epoch - 1, self.t_max - 1) / max(self.t_max - 1, 1)
        floor = self.eta_min / self.base_lr if self.base_lr else 0.0
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
