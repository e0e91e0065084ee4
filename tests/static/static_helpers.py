"""Shared pieces of the Define-and-Run tests: one training step, run eagerly or compiled."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import dezero_core as dz
import dezero_core.functions as F


def batches(n: int, shape: tuple[int, ...], classes: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` (float32 inputs, int64 labels) batches."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, shape[0]))
            for _ in range(n)]


def training_step(model: Any, optimizer: Any, loss_fn: Callable[..., Any] = F.softmax_cross_entropy,
                  clear: bool = True) -> Callable[[Any, Any], Any]:
    """An eager step of ``model`` by ``optimizer`` on ``loss_fn``, returning the loss; ``clear=False`` skips
    ``cleargrads()``, so gradients accumulate across steps."""
    def step(x: Any, t: Any) -> Any:
        if clear:
            model.cleargrads()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.update()
        return loss
    return step


def train(make_model: Callable[[], Any], make_optimizer: Callable[[Any], Any], data: list, compiled: bool,
          loss_fn: Callable[..., Any] = F.softmax_cross_entropy, seed: int = 0, **compile_kwargs: Any
          ) -> tuple[list[float], Any, Any]:
    """Train from ``dz.random.seed(seed)`` over ``data``; (losses, model, optimizer)."""
    dz.random.seed(seed)
    model = make_model()
    optimizer = make_optimizer(model)
    step = training_step(model, optimizer, loss_fn)
    run = dz.compile(step, **compile_kwargs) if compiled else step
    losses = [float(run(x, t).data) for x, t in data]
    return losses, model, optimizer


def assert_same_training(eager: tuple, compiled: tuple, exact: bool = True) -> None:
    """Same losses, parameters and optimizer state (bit for bit unless ``exact`` is False)."""
    (l1, m1, o1), (l2, m2, o2) = eager, compiled
    check = np.testing.assert_array_equal if exact else (
        lambda a, b, err_msg="": np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6, err_msg=err_msg))
    check(np.array(l1), np.array(l2), err_msg="losses")
    for (n1, p1), (n2, p2) in zip(m1.named_params(), m2.named_params()):
        assert n1 == n2
        check(p1.data, p2.data, err_msg=n1)
    assert o1.t == o2.t
    for name, slots in o1.state.items():
        for key, value in slots.items():
            check(value, o2.state[name][key], err_msg=f"{name}.{key}")


def numerical_grad(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f`` at ``x``."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        grad[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return grad
