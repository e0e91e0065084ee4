"""The hook between backward and the optimizer update, and Trainer leaving the caller's loaders alone."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core
from dezero_core import functions as F
from dezero_core.backend import backend_names
from dezero_core.data import DataLoader, Dataset
from dezero_core.hookspecs import hookimpl
from dezero_core.layers import Linear
from dezero_core.optimizers import SGD
from dezero_core.training import Trainer

LR = 0.1


def regression(seed: int = 0) -> tuple[Linear, DataLoader]:
    """y = 2x - 1 with a little noise, and a Linear(1 -> 1) model."""
    rng = np.random.default_rng(seed)
    x = rng.random((20, 1), dtype=np.float32)
    t = (2 * x - 1 + 0.01 * rng.standard_normal((20, 1))).astype(np.float32)
    dezero_core.random.seed(seed)
    return Linear(1, in_size=1), DataLoader(Dataset(x, t), batch_size=5, shuffle=False)


class GradientWatcher:
    """Records each parameter and its gradient when the hook fires, then clips the gradient norm."""

    def __init__(self, max_norm: float | None = None) -> None:
        self.max_norm = max_norm
        self.seen: list[tuple[int, int, dict[str, np.ndarray], dict[str, np.ndarray], float]] = []

    @hookimpl
    def dezero_before_update(self, trainer, epoch, iteration, loss) -> None:
        named = dict(trainer.model.named_params())
        grads = {n: np.array(p.grad.data) for n, p in named.items()}
        self.seen.append((epoch, iteration, {n: np.array(p.data) for n, p in named.items()}, grads,
                          float(loss.data)))
        norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
        if self.max_norm is not None and norm > self.max_norm:
            for p in named.values():
                p.grad.data = p.grad.data * (self.max_norm / norm)


def test_the_hook_sees_each_batchs_gradients_before_the_update() -> None:
    model, loader = regression()
    watcher = GradientWatcher()
    Trainer(model, F.mean_squared_error, SGD(lr=LR).setup(model), loader, extensions=[watcher]).fit(2)
    assert [(e, i) for e, i, *_ in watcher.seen] == [(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (2, 4)]
    # each update is W <- W - lr * (the gradient the hook saw): the hook ran between backward and update
    for (_, _, before, grads, _), (_, _, after, _, _) in zip(watcher.seen, watcher.seen[1:]):
        for name in before:
            np.testing.assert_allclose(after[name], before[name] - LR * grads[name], rtol=1e-6)
    # and the gradient is the loss's: d/dW mean((xW + b - t)^2) by hand on the first batch
    x, t = loader.dataset[0:5]
    _, _, first, grads, loss = watcher.seen[0]
    residual = x @ first["W"] + first["b"] - t
    np.testing.assert_allclose(grads["W"], 2 * x.T @ residual / residual.size, rtol=1e-5)
    np.testing.assert_allclose(loss, np.mean(residual ** 2), rtol=1e-5)


def test_the_hook_can_clip_gradients_before_the_optimizer_uses_them() -> None:
    model, loader = regression()
    start = {n: np.array(p.data) for n, p in model.named_params()}
    watcher = GradientWatcher(max_norm=1e-3)
    Trainer(model, F.mean_squared_error, SGD(lr=LR).setup(model), loader, extensions=[watcher]).fit(1)
    moved = np.sqrt(sum(np.sum((np.array(p.data) - start[n]) ** 2) for n, p in model.named_params()))
    assert moved <= 4 * LR * 1e-3 * (1 + 1e-5)  # four clipped steps at most


@pytest.mark.skipif("strict" not in backend_names(), reason="needs a second backend (dezero-strict)")
def test_fit_moves_batches_not_the_callers_loaders() -> None:
    model, loader = regression()
    test_loader = DataLoader(Dataset(*loader.dataset[0:10]), batch_size=10, shuffle=False)
    trainer = Trainer(model, F.mean_squared_error, SGD(lr=LR).setup(model), loader, test_loader, backend="strict")
    assert loader.backend is None and test_loader.backend is None
    history = trainer.fit(1)
    assert loader.backend is None and test_loader.backend is None
    x, _ = next(iter(loader))
    assert isinstance(x, np.ndarray)  # the caller's loader still delivers what it did
    assert dezero_core.backend.backend_of(model.W.data).name == "strict" and np.isfinite(history[0]["test_loss"])
