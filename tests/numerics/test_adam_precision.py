"""Adam and AdamW in float32 against the same updates computed in float64 from the same gradients.

The second moment ``v = b2 v + (1-b2) g²`` was once computed as ``v -= g²; v *= b2; v += g²``: where
``v`` is much smaller than ``g²`` (the first step, a gradient spike) the subtraction cancels and the
rounding error grows by ``1/(1-b2)``, a thousand times for the default ``b2`` (``v`` off by 7e-5 after
one float32 step, the update by 1.7e-5 after ten). Each implementation (the portable update, the
numpy backend's fused kernel) must stay within a few float32 roundings of the float64 result.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import optimizers as O
from dezero_core.layers import Layer
from dezero_core.optimizers import adam as adam_module

STEPS = 10
SHAPE = (64, 32)


class One(Layer):
    def __init__(self, value: np.ndarray) -> None:
        super().__init__()
        self.p = dz.Parameter(value, name="p")


def gradients(rng: np.random.Generator) -> list[np.ndarray]:
    """Ten float32 gradients of widely different scales, with a spike at step 6 (v << g² again)."""
    scales = [1.0, 1e-2, 1.0, 1e-3, 1.0, 1e3, 1.0, 1e-1, 1.0, 1.0]
    return [(rng.standard_normal(SHAPE) * s).astype(np.float32) for s in scales]


def reference(p0: np.ndarray, grads: list[np.ndarray], lr: float, b1: float, b2: float, eps: float,
              weight_decay: float = 0.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(parameter, v) after each step, in float64, by the paper's formulas."""
    p, m, v = p0.astype(np.float64), np.zeros(SHAPE), np.zeros(SHAPE)
    out = []
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        p = p * (1.0 - lr * weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        out.append((p, v))
    return out


@pytest.fixture(params=["portable", "numpy kernel"])
def implementation(request, monkeypatch) -> str:
    """Which Adam update runs: the portable one (no backend kernel) or numpy's fused kernel."""
    if request.param == "portable":
        monkeypatch.setitem(adam_module._kernels, np.ndarray, None)
    else:
        monkeypatch.delitem(adam_module._kernels, np.ndarray, raising=False)
    return request.param


@pytest.mark.parametrize("make,decay", [(lambda: O.Adam(lr=0.01), 0.0),
                                        (lambda: O.AdamW(lr=0.01, weight_decay=0.1), 0.1)],
                         ids=["Adam", "AdamW"])
def test_float32_adam_follows_the_float64_reference(implementation, make, decay) -> None:
    rng = np.random.default_rng(0)
    p0 = (rng.standard_normal(SHAPE) * 1e-2).astype(np.float32)  # small: its rounding must not hide the updates
    grads = gradients(rng)
    model = One(p0.copy())
    optimizer = make()
    optimizer.flush_denormal = False  # compare the arithmetic alone
    optimizer.setup(model)
    want = reference(p0, grads, 0.01, 0.9, 0.999, 1e-8, decay)
    for step, (g, (p_want, v_want)) in enumerate(zip(grads, want), start=1):
        model.p.grad = g.copy()
        optimizer.update()
        assert model.p.data.dtype == np.float32
        v = optimizer.state["p"]["v"]
        v_err = np.max(np.abs(v - v_want) / v_want)
        assert v_err < 1e-6, f"step {step}: v off by {v_err:.2e} relative"
        moved = p_want - p0
        u_err = np.max(np.abs((model.p.data - p0) - moved)) / np.max(np.abs(moved))
        assert u_err < 2e-6, f"step {step}: the update off by {u_err:.2e} of its size"
