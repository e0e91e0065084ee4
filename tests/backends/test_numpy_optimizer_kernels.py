"""numpy's fused Adam gives the portable update's results to the bit, in fewer passes."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core.optimizers import Adam, AdamW, adam as adam_module
from dezero_core.layers import Layer


class Holder(Layer):
    """A layer holding parameters of the given shapes."""

    def __init__(self, shapes: list[tuple[int, ...]], seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        for i, shape in enumerate(shapes):
            setattr(self, f"p{i}", dz.Parameter(np.asarray(rng.standard_normal(shape), dtype=np.float32)))


SHAPES = [(), (7,), (30, 20), (600, 500)]  # 0-d, a bias, a matrix, one updated in row blocks


def _train(optimizer_type: type, fused: bool, monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    monkeypatch.setattr(adam_module, "_kernels", {} if fused else {np.ndarray: None})
    holder = Holder(SHAPES, seed=0)
    optimizer = optimizer_type().setup(holder)
    rng = np.random.default_rng(1)
    for _ in range(3):
        for p in holder.params():
            p.grad = np.asarray(rng.standard_normal(p.shape), dtype=np.float32)
        optimizer.update()
    return [p.data for p in holder.params()] + [s for slots in optimizer.state.values() for s in slots.values()]


@pytest.mark.parametrize("optimizer_type", [Adam, AdamW])
def test_the_fused_update_equals_the_portable_one_bit_for_bit(optimizer_type, monkeypatch):
    portable = _train(optimizer_type, False, monkeypatch)
    fused = _train(optimizer_type, True, monkeypatch)
    assert adam_module._kernels[np.ndarray] is not None  # the fused kernel did run
    for a, b in zip(portable, fused):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_backends_without_a_kernel_say_none():
    assert dz.get_backend("numpy").optimizer_kernel("no such optimizer") is None
    assert dz.ArrayBackend.optimizer_kernel(dz.get_backend("numpy"), "adam") is None
