"""The fused Adam kernel's body, interpreted on the CPU: an EMULATION, not a GPU test.

The body of :data:`dezero_cupy.kernel_source.ADAM` runs once per element (``kernel_emulation``), in
the parameter's dtype with numpy scalars, and is compared with the numpy backend's fused Adam (which
gives the portable update's results to the bit) over three steps. Each operation of the body rounds
as one IEEE operation of that dtype, which is what the GPU does when nothing is contracted into a
fused multiply-add (``ADAM_OPTIONS``): so the results must be equal, not merely close.

What this cannot check: that CuPy compiles and launches it, and the GPU's arithmetic
(tests/cupy/test_cupy_gpu.py does, on a GPU). No cupy is imported here.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from dezero_core import get_backend
from dezero_cupy import kernel_source
from kernel_emulation import run_in_place

DEFAULTS = (0.9, 0.999, 1e-8)  # Adam's beta1, beta2, eps
CHANGED = (0.5, 0.75, 1e-3)  # betas far apart and an eps that counts everywhere
# eps=1e-8 is 0 in float16, and then a zero gradient gives 0/0 (NaN) in numpy's update as in the
# kernel: equal, but a comparison of NaNs proves little, so float16 runs with CHANGED only
CASES = [("float32", DEFAULTS), ("float64", DEFAULTS), ("float16", CHANGED), ("float32", CHANGED),
         ("float64", CHANGED)]


def step_sizes(beta1: float, beta2: float, lr: float = 0.01) -> list[float]:
    """Adam's bias-corrected learning rates of steps 1-3 (``Adam.step_size``)."""
    return [lr * math.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t) for t in (1, 2, 3)]


def three_steps(update, dtype: str, hyper: tuple) -> dict[str, np.ndarray]:
    """``data``, ``m``, ``v`` after three updates ``update(data, grad, m, v, b1, b2, step, eps)``."""
    rng = np.random.default_rng(0)
    shape = (6, 9)
    state = {"data": rng.standard_normal(shape).astype(dtype), "m": np.zeros(shape, dtype),
             "v": np.zeros(shape, dtype)}
    beta1, beta2, eps = hyper
    for step, step_size in enumerate(step_sizes(beta1, beta2)):
        grad = rng.standard_normal(shape).astype(dtype)
        if step == 0:
            grad[0, :4] = 0  # m = v = 0 there: the update is 0 / (0 + eps), and without eps NaN
        update(state["data"], grad, state["m"], state["v"], beta1, beta2, step_size, eps)
    return state


def emulated_adam(kernel: tuple):
    """An update that runs ``kernel``'s body element by element, its scalars in the parameter's dtype."""
    def update(data, grad, m, v, beta1, beta2, step_size, eps) -> None:
        t = data.dtype.type
        run_in_place(kernel, {"grad": grad, "data": data, "m": m, "v": v},
                     {"beta1": t(beta1), "one_minus_beta1": t(1.0 - beta1), "beta2": t(beta2),
                      "one_minus_beta2": t(1.0 - beta2), "step_size": t(step_size), "eps": t(eps)})
    return update


def differences(kernel: tuple, dtype: str, hyper: tuple) -> list[str]:
    """The arrays on which ``kernel`` and numpy's fused Adam disagree after three steps (NaNs agree)."""
    want = three_steps(get_backend("numpy").optimizer_kernel("adam"), dtype, hyper)
    got = three_steps(emulated_adam(kernel), dtype, hyper)
    assert all(a.dtype == np.dtype(dtype) for a in got.values())
    return [name for name in want if not np.array_equal(got[name], want[name], equal_nan=True)]


@pytest.mark.parametrize("dtype,hyper", CASES)
def test_the_adam_body_equals_numpys_fused_adam_bit_for_bit(dtype, hyper) -> None:
    assert differences(kernel_source.ADAM, dtype, hyper) == []


def test_the_comparison_has_no_nans_to_hide_behind() -> None:
    for dtype, hyper in CASES:
        state = three_steps(emulated_adam(kernel_source.ADAM), dtype, hyper)
        assert all(np.isfinite(a).all() for a in state.values()), (dtype, hyper)


# Wrong bodies the comparison must catch: a dropped eps, swapped betas, v updated in the cancelling
# form (v - g²) b2 + g² (the same value in exact arithmetic, rounded differently), eps under the root
MUTATIONS = {
    "no eps": ("t = t + eps;", ""),
    "betas swapped": ("m = m * beta1;", "m = m * beta2;"),
    "cancelling v": ("t = t * one_minus_beta2;\n    v = v * beta2;\n    v = v + t;",
                     "v = v - t;\n    v = v * beta2;\n    v = v + t;"),
    "eps under the root": ("t = sqrt(v);\n    t = t + eps;", "t = v + eps;\n    t = sqrt(t);"),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_changed_body_is_noticed(mutation) -> None:
    old, new = MUTATIONS[mutation]
    in_params, out_params, body, name = kernel_source.ADAM
    assert old in body
    mutant = (in_params, out_params, body.replace(old, new), name)
    with np.errstate(invalid="ignore"):  # without eps, 0/0
        assert all(differences(mutant, dtype, hyper) for dtype, hyper in CASES)


def test_one_minus_beta2_computed_in_float32_on_the_device_is_noticed() -> None:
    # (T)1 - 0.999f is 0.00099998713: v and every update off by 1.3e-5 relative (exact in float64)
    in_params, out_params, body, name = kernel_source.ADAM
    mutant = (in_params, out_params, body.replace("t = t * one_minus_beta2;", "t = t * ((T)1 - beta2);"), name)
    assert "v" in differences(mutant, "float32", DEFAULTS)
