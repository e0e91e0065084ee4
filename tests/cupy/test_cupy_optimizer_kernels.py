"""``CupyBackend.optimizer_kernel``: the fused Adam's wiring, on a fake cupy (no GPU, no cupy needed).

The fake records how ``dezero_cupy.kernels`` builds its ``ElementwiseKernel`` objects and with which
arguments it launches them. This checks dezero-cupy's own logic (which kernel, the arguments in the
kernel's parameter order, the scalars' dtype, the device); the kernel's arithmetic is checked by
tests/cupy/test_adam_kernel_emulation.py on the CPU, and by tests/cupy/test_cupy_gpu.py on a GPU.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

import numpy as np
import pytest

import dezero_cupy
from dezero_cupy import CupyBackend, kernel_source, probe
from dezero_cupy.namespace import CREATION, LIKE
from cupy_fakes import FakeDevice


class FakeArray:
    """An array with a dtype, on a device."""

    def __init__(self, name: str, dtype: str, device: int = 0) -> None:
        self.name, self.dtype, self.device = name, np.dtype(dtype), FakeDevice(device)

    def astype(self, dtype: Any) -> "FakeArray":
        return FakeArray(f"{self.name} as {np.dtype(dtype)}", dtype, self.device.id)

    def __repr__(self) -> str:
        return self.name


class FakeKernel:
    """Records its construction and its launches (with the device current at launch)."""

    def __init__(self, in_params: str, out_params: str, operation: str, name: str, **kwargs: Any) -> None:
        self.source, self.kwargs, self.launches = (in_params, out_params, operation, name), kwargs, []

    def __call__(self, *args: Any) -> None:
        self.launches.append((args, FakeDevice.current))


@pytest.fixture
def backend(monkeypatch) -> CupyBackend:
    """A fresh CupyBackend whose probe found the fake cupy, with dezero_cupy.kernels imported on it."""
    cupy = types.SimpleNamespace(**{name: lambda *a, **k: None for name in CREATION + LIKE}, ndarray=FakeArray,
                                 ElementwiseKernel=FakeKernel, __version__="14.2.0")
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupyx", types.ModuleType("cupyx"))
    monkeypatch.setattr(probe, "import_cupy", lambda: cupy)
    monkeypatch.setattr(probe, "check_device", lambda cupy: 1)
    # kernels.py builds its kernels when imported: import it afresh on the fake, and afterwards put
    # back whatever was there (nothing where cupy is not installed)
    monkeypatch.setitem(sys.modules, "dezero_cupy.kernels", None)
    del sys.modules["dezero_cupy.kernels"]
    monkeypatch.setattr(dezero_cupy, "kernels", None, raising=False)
    delattr(dezero_cupy, "kernels")
    importlib.import_module("dezero_cupy.kernels")
    FakeDevice.current = 0
    return CupyBackend()


def test_adam_is_one_kernel_built_from_the_source_without_contraction(backend) -> None:
    kernel = backend.optimizer_kernel("adam")
    assert kernel is dezero_cupy.kernels.adam
    assert dezero_cupy.kernels._ADAM.source == kernel_source.ADAM
    assert dezero_cupy.kernels._ADAM.kwargs == {"options": ("--fmad=false",)}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_adam_launches_with_the_kernels_parameter_order_and_scalars_of_the_parameters_dtype(backend, dtype) -> None:
    data, grad, m, v = (FakeArray(n, dtype, device=1) for n in ("data", "grad", "m", "v"))
    backend.optimizer_kernel("adam")(data, grad, m, v, 0.9, 0.999, 0.25, 1e-8)
    [(args, device)] = dezero_cupy.kernels._ADAM.launches
    # "T grad, T beta1, T one_minus_beta1, T beta2, T one_minus_beta2, T step_size, T eps", then the
    # outputs "T data, T m, T v"; 1 - beta computed in Python floats, then rounded once
    assert args[:1] + args[7:] == (grad, data, m, v)
    assert [type(a) for a in args[1:7]] == [np.dtype(dtype).type] * 6
    assert args[1:7] == tuple(np.dtype(dtype).type(x) for x in (0.9, 1.0 - 0.9, 0.999, 1.0 - 0.999, 0.25, 1e-8))
    assert device == 1  # launched where the parameter lives, not on the current device
    assert FakeDevice.current == 0


def test_a_gradient_of_another_dtype_is_cast_to_the_parameters(backend) -> None:
    data, m, v = (FakeArray(n, "float16") for n in ("data", "m", "v"))
    backend.optimizer_kernel("adam")(data, FakeArray("grad", "float32"), m, v, 0.9, 0.999, 0.25, 1e-8)
    [(args, _)] = dezero_cupy.kernels._ADAM.launches
    assert (args[0].name, args[0].dtype) == ("grad as float16", np.float16)


@pytest.mark.parametrize("name", ["sgd", "Adam", "adamw", ""])
def test_optimizers_without_a_kernel_get_none(backend, name) -> None:
    assert backend.optimizer_kernel(name) is None


def test_without_a_usable_cupy_the_backend_says_why() -> None:
    unusable = CupyBackend()
    unusable._probed, unusable._unavailable = True, "ImportError: cupy is not installed"
    with pytest.raises(RuntimeError, match="backend 'cupy' is not usable: ImportError: cupy is not installed"):
        unusable.optimizer_kernel("adam")
