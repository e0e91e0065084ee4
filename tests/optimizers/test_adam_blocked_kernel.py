"""numpy's Adam and AdamW kernels, handed whole parameters, update large ones by flat cache-sized
blocks with the portable arithmetic: the results equal the unblocked kernel's and the portable
update's to the bit."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core.layers import Layer
from dezero_core.optimizers import Adam, AdamW, adam as adam_module
from dezero_numpy import optimizer_kernels

HYPER = (0.9, 0.999, 0.01, 1e-8)  # beta1, beta2, step size, eps
BIG = 2 * optimizer_kernels.BLOCK_ELEMENTS + 1234  # blocked, with a short last block


def _arrays(shape: tuple[int, ...], dtype: type, seed: int = 0) -> list[np.ndarray]:
    """A parameter, a gradient and non-zero moments (v > 0) of ``shape``."""
    rng = np.random.default_rng(seed)
    data, grad, m = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    v = (rng.random(shape) * 1e-3).astype(dtype)
    return [data, grad, m, v]


def _unblocked(monkeypatch: pytest.MonkeyPatch, arrays: list[np.ndarray], steps: int = 3,
               extra: tuple = ()) -> list[np.ndarray]:
    """``arrays`` after ``steps`` kernel calls (``adamw`` where ``extra`` holds its decay) that update
    each array whole (blocks larger than any array)."""
    arrays = [a.copy() for a in arrays]
    kernel = optimizer_kernels.adamw if extra else optimizer_kernels.adam
    with monkeypatch.context() as patch:
        patch.setattr(optimizer_kernels, "BLOCK_ELEMENTS", 1 << 40)
        for _ in range(steps):
            kernel(*arrays, *HYPER, *extra)
    return arrays


@pytest.mark.parametrize("extra", [(), (0.99,)], ids=["adam", "adamw"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_blocks_equal_the_whole_array_update_bit_for_bit(dtype, extra, monkeypatch):
    arrays = _arrays((BIG,), dtype)
    want = _unblocked(monkeypatch, arrays, extra=extra)
    kernel = optimizer_kernels.adamw if extra else optimizer_kernels.adam
    for _ in range(3):
        kernel(*arrays, *HYPER, *extra)
    for got, expected in zip(arrays, want):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("decay", [None, 0.99])
def test_the_update_matches_the_formula(decay):
    data, grad, m, v = _arrays((BIG,), np.float64)
    b1, b2, step, eps = HYPER
    want_m = b1 * m + (1 - b1) * grad
    want_v = b2 * v + (1 - b2) * grad * grad
    want_data = data * (1.0 if decay is None else decay) - step * want_m / (np.sqrt(want_v) + eps)
    if decay is None:
        optimizer_kernels.adam(data, grad, m, v, *HYPER)
    else:
        optimizer_kernels.adamw(data, grad, m, v, *HYPER, decay)
    np.testing.assert_allclose(m, want_m, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(v, want_v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(data, want_data, rtol=1e-12, atol=1e-15)


def test_a_non_contiguous_gradient_is_blocked_and_equal(monkeypatch):
    arrays = _arrays((700, 400), np.float32)
    arrays[1] = np.asfortranarray(arrays[1])  # the layout of a gradient computed as (x.T @ gy).T
    want = _unblocked(monkeypatch, arrays, steps=1)
    optimizer_kernels.adam(*arrays, *HYPER)
    for got, expected in zip(arrays, want):
        np.testing.assert_array_equal(got, expected)


def test_a_non_contiguous_parameter_is_updated_in_place(monkeypatch):
    base = _arrays((400, 700), np.float32)
    arrays = [a.T for a in base]  # data, m and v are views whose flat reshape would be a copy
    want = _unblocked(monkeypatch, arrays, steps=1)
    optimizer_kernels.adam(*arrays, *HYPER)
    for got, expected in zip(base, want):
        np.testing.assert_array_equal(got.T, expected)


def test_a_gradient_of_another_dtype_keeps_python_float_constants():
    # a float64 gradient of float32 state: (1-b1)·g and g² are computed in float64 with the Python
    # floats (a float32 0-d constant would be another number there) and rounded into float32 scratch
    data, grad, m, v = _arrays((BIG,), np.float32)
    grad = grad.astype(np.float64) / 3
    b1, b2, step, eps = HYPER
    f32 = np.float32
    want_m = m * f32(b1) + (grad * (1 - b1)).astype(f32)
    want_v = v * f32(b2) + (grad * grad).astype(f32) * f32(1 - b2)
    want_data = data - want_m / (np.sqrt(want_v) + f32(eps)) * f32(step)
    optimizer_kernels.adam(data, grad, m, v, *HYPER)
    for got, want in zip((m, v, data), (want_m, want_v, want_data)):
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_array_equal(got, want)


class Holder(Layer):
    """Parameters of the given shapes."""

    def __init__(self, shapes: list[tuple[int, ...]]) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        for i, shape in enumerate(shapes):
            setattr(self, f"p{i}", dz.Parameter(rng.standard_normal(shape).astype(np.float32)))


def _calls(optimizer_type: type, monkeypatch: pytest.MonkeyPatch, adamw: bool = True) -> list[tuple]:
    """(kernel name, shape) of each numpy kernel call over one update of a (600, 500) parameter;
    ``adamw=False``: a backend with a fused Adam and no fused AdamW."""
    calls: list[tuple] = []

    def spy(name: str):
        def kernel(data, *args):
            calls.append((name, data.shape))
            getattr(optimizer_kernels, name)(data, *args)
        return kernel

    monkeypatch.setattr(adam_module, "_kernels", {np.ndarray: spy("adam")})
    monkeypatch.setattr(adam_module, "_adamw_kernels", {np.ndarray: spy("adamw") if adamw else None})
    holder = Holder([(600, 500)])
    optimizer = optimizer_type().setup(holder)
    holder.p0.grad = np.ones((600, 500), dtype=np.float32)
    optimizer.update()
    return calls


def test_adam_and_adamw_hand_their_kernels_whole_parameters(monkeypatch):
    assert _calls(Adam, monkeypatch) == [("adam", (600, 500))]
    assert _calls(AdamW, monkeypatch) == [("adamw", (600, 500))]


def test_adamw_without_a_fused_adamw_decays_and_calls_adam_on_row_blocks(monkeypatch):
    calls = _calls(AdamW, monkeypatch, adamw=False)
    assert len(calls) > 1 and {name for name, _ in calls} == {"adam"}
    assert sum(shape[0] for _, shape in calls) == 600 and all(shape[1] == 500 for _, shape in calls)


@pytest.mark.parametrize("optimizer_type", [Adam, AdamW])
def test_training_equals_the_portable_update_bit_for_bit(optimizer_type, monkeypatch):
    def train(kernels: dict) -> list[np.ndarray]:
        monkeypatch.setattr(adam_module, "_kernels", kernels)
        monkeypatch.setattr(adam_module, "_adamw_kernels", {})
        holder = Holder([(), (9,), (300, 1000), (BIG,)])
        optimizer = optimizer_type().setup(holder)
        rng = np.random.default_rng(1)
        for _ in range(4):
            for p in holder.params():
                p.grad = rng.standard_normal(p.shape).astype(np.float32)
            optimizer.update()
        return [p.data for p in holder.params()] + [a for s in optimizer.state.values() for a in s.values()]

    for got, want in zip(train({}), train({np.ndarray: None})):
        np.testing.assert_array_equal(got, want)


def test_a_0d_parameter_takes_a_scalar_gradient():
    # a 0-d result of numpy may be a scalar (np.float64, or a Python float): no dtype to match, so
    # the constants stay Python floats, as for a float64 gradient array
    def updated(grad):
        arrays = [np.array(1.5, np.float32), np.zeros((), np.float32), np.zeros((), np.float32)]
        optimizer_kernels.adam(arrays[0], grad, arrays[1], arrays[2], *HYPER)
        return arrays

    for got, want in zip(updated(0.3), updated(np.asarray(0.3, dtype=np.float64))):
        assert got.dtype == np.float32 and got.shape == ()
        np.testing.assert_array_equal(got, want)
    assert updated(0.3)[0] < 1.5
