"""Moving Variables between devices and backends, on array-api-strict's fake devices.

The strict test backend (tests/dists/dezero-strict) offers ``CPU_DEVICE``, ``device1`` and
``device2``, which refuse to mix like real GPUs do, so device handling is tested without a GPU.
"""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F
from dezero_core.backend import backend_names, get_backend

if "strict" not in backend_names():
    pytest.skip("the strict test backend is not installed: pip install -e tests/dists/dezero-strict",
                allow_module_level=True)

HOST = np.arange(6.0, dtype=np.float32).reshape(2, 3)


def _device(name: str):
    return get_backend("strict").xp.Device(name)


def _host(v: Variable) -> np.ndarray:
    return v.backend.to_host(v.data)


def test_to_moves_data_to_the_named_device() -> None:
    x = Variable(HOST.copy()).to("strict:device1")
    assert x.backend.name == "strict"
    assert x.device == _device("device1")
    np.testing.assert_array_equal(_host(x), HOST)


def test_to_returns_the_variable_itself() -> None:
    x = Variable(HOST.copy())
    assert x.to("strict:device1") is x


def test_backward_on_a_device_leaves_gradients_on_that_device() -> None:
    x = Variable(HOST.copy()).to("strict:device2")
    F.sum(F.mul(x, x)).backward()
    assert x.grad.device == _device("device2")
    np.testing.assert_allclose(_host(x.grad), 2 * HOST)


def test_gradient_follows_its_variable_to_another_device() -> None:
    x = Variable(HOST.copy()).to("strict:device1")
    F.sum(F.sin(x)).backward()
    x.to("strict:device2")
    assert x.device == _device("device2")
    assert x.grad.device == _device("device2")
    np.testing.assert_allclose(_host(x.grad), np.cos(HOST), rtol=1e-6)


def test_operation_mixing_devices_names_the_operation_both_devices_and_how_to_move() -> None:
    a = Variable(HOST.copy()).to("strict:device1")
    b = Variable(HOST.copy()).to("strict:device2")
    with pytest.raises(ValueError) as info:
        F.add(a, b)
    message = str(info.value)
    assert message.startswith("Add:")
    assert "input 0 on array_api_strict.Device('device1'); input 1 on array_api_strict.Device('device2')" \
        in message
    assert "Variable.to('strict', device)" in message


def test_moving_one_input_makes_the_mixed_operation_work() -> None:
    a = Variable(HOST.copy()).to("strict:device1")
    b = Variable(HOST.copy()).to("strict:device2")
    y = F.add(a, b.to("strict", a.device))
    assert y.device == _device("device1")
    np.testing.assert_array_equal(_host(y), 2 * HOST)


def test_unknown_device_lists_the_backend_devices() -> None:
    with pytest.raises(ValueError, match="no device 'device9'.*CPU_DEVICE.*device1.*device2"):
        Variable(HOST.copy()).to("strict:device9")


def test_numpy_to_strict_and_back_keeps_values_and_float32() -> None:
    x = Variable(HOST.copy())
    x.to("strict")
    assert x.backend.name == "strict"
    assert x.dtype == get_backend("strict").xp.float32
    x.to("numpy")
    assert isinstance(x.data, np.ndarray)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.data, HOST)


def test_gradient_follows_its_variable_between_backends() -> None:
    x = Variable(HOST.copy()).to("strict")
    F.sum(F.mul(x, x)).backward()
    x.to_cpu()
    assert isinstance(x.grad.data, np.ndarray)
    np.testing.assert_allclose(x.grad.data, 2 * HOST)


def test_operation_mixing_backends_names_both_and_how_to_move() -> None:
    a = Variable(HOST.copy())
    b = Variable(HOST.copy()).to("strict")
    with pytest.raises(TypeError) as info:
        F.add(a, b)
    message = str(info.value)
    assert "numpy" in message and "strict" in message
    assert ".to(" in message
