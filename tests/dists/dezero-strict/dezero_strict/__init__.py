"""A test backend: ``array-api-strict`` behind dezero-core's array-backend protocol.

array-api-strict implements the Python array API standard and nothing else, and raises on anything
outside it, so the core's tests passing here prove that the core assumes nothing about numpy. Its
fake devices (``CPU_DEVICE``, ``device1``, ``device2``) refuse to mix, which tests moving variables
between devices without a GPU.

The few extras the standard lacks (``scatter_add``, host transfer, the random generator) go through
numpy and the numpy backend, which a test backend may do: they are the parts a real backend implements natively.
"""
from __future__ import annotations

import importlib.util
from typing import Any

from dezero_core.backend import ArrayBackend, RandomGenerator
from dezero_numpy import NumpyRandomGenerator

#: the devices this backend offers (array-api-strict also has ``no_float64``/``no_x64`` variants,
#: which model libraries without float64; they are not devices a user would move data to)
DEVICE_NAMES = ("CPU_DEVICE", "device1", "device2")


class StrictRandomGenerator(NumpyRandomGenerator):
    """The numpy backend's stream (the same seed draws the same numbers), as array-api-strict arrays."""

    def __init__(self, backend: "StrictBackend", seed: int | None) -> None:
        super().__init__(backend.np, seed)
        self._backend = backend

    def uniform(self, low, high, shape, dtype):
        return self._backend.from_host(super().uniform(low, high, shape, _numpy_dtype(self._backend, dtype)))

    def normal(self, mean, std, shape, dtype):
        return self._backend.from_host(super().normal(mean, std, shape, _numpy_dtype(self._backend, dtype)))

    def integers(self, low, high, shape):
        return self._backend.from_host(super().integers(low, high, shape))

    def permutation(self, n):
        return self._backend.from_host(super().permutation(n))


class StrictBackend(ArrayBackend):
    """``array_api_strict`` as a dezero backend (for tests: slow, strict, CPU only)."""

    name = "strict"
    array_module = "array_api_strict"
    blocked_updates = True  # a CPU backend: the core's blocked updates are tested here too
    priority = -100  # never chosen by auto while a real backend is installed

    def _load(self) -> Any:
        if importlib.util.find_spec("array_api_strict") is None:
            raise ImportError("array-api-strict is not installed: pip install array-api-strict")
        import array_api_strict
        import numpy

        self.np = numpy
        return array_api_strict

    def array_types(self) -> tuple[type, ...]:
        return (type(self.xp.asarray(0.0)),)

    def devices(self) -> list[Any]:
        return [self.xp.Device(name) for name in DEVICE_NAMES]

    def to_host(self, array: Any) -> Any:
        # DLPack works on every fake device, where numpy.asarray refuses anything but CPU_DEVICE
        return self.np.from_dlpack(array).copy()

    def from_host(self, host_array: Any, device: Any = None) -> Any:
        host = self.np.asarray(host_array)
        return self.xp.asarray(host, device=device) if device is not None else self.xp.asarray(host)

    def random_generator(self, seed: int | None = None) -> RandomGenerator:
        return StrictRandomGenerator(self, seed)

    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        self.np.add.at(self._host_view(target), self._host_key(index), self._host_value(values))

    # -- reaching the numpy array inside (the extras only) ---------------------------------------
    def _host_view(self, array: Any) -> Any:
        """A writable numpy view of ``array``'s memory (DLPack shares it)."""
        return self.np.from_dlpack(array)

    def _host_value(self, value: Any) -> Any:
        return self._host_view(value) if self.owns(value) else value

    def _host_key(self, key: Any) -> Any:
        if isinstance(key, tuple):
            return tuple(self._host_value(k) for k in key)
        return self._host_value(key)


def _numpy_dtype(backend: StrictBackend, dtype: Any) -> Any:
    """The numpy dtype of an array-api-strict dtype (both name it the same)."""
    return backend.np.dtype(str(dtype).split(".")[-1])
