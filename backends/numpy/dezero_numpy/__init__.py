"""The numpy (CPU) backend of dezero_core, registered under ``dezero.backends`` as ``numpy``.

numpy is imported when the backend is probed, never when this module is imported.
"""
from __future__ import annotations

import importlib.util
from typing import Any

from dezero_core.backend import ArrayBackend, RandomGenerator


class NumpyRandomGenerator(RandomGenerator):
    """numpy's PCG64 ``Generator`` behind the backend's random protocol."""

    def __init__(self, np: Any, seed: int | None) -> None:
        self._gen = np.random.default_rng(seed)

    def uniform(self, low, high, shape, dtype):
        return self._gen.uniform(low, high, shape).astype(dtype, copy=False)

    def normal(self, mean, std, shape, dtype):
        return self._gen.normal(mean, std, shape).astype(dtype, copy=False)

    def integers(self, low, high, shape):
        return self._gen.integers(low, high, shape)

    def permutation(self, n):
        return self._gen.permutation(n)

    def get_state(self):
        return self._gen.bit_generator.state

    def set_state(self, state):
        self._gen.bit_generator.state = state


class NumpyBackend(ArrayBackend):
    """Arrays in host memory through numpy (>= 2, whose main namespace follows the array API)."""

    name = "numpy"
    priority = 10
    array_module = "numpy"
    blocked_updates = True

    def _load(self) -> Any:
        if importlib.util.find_spec("numpy") is None:
            raise ImportError("numpy is not installed: pip install numpy")
        import numpy

        if int(numpy.__version__.split(".")[0]) < 2:
            raise ImportError(f"numpy {numpy.__version__} is too old: the backend needs numpy >= 2")
        return numpy

    def array_types(self) -> tuple[type, ...]:
        np = self.xp
        return (np.ndarray, np.generic)

    def owns(self, obj: Any) -> bool:
        return isinstance(obj, (self.xp.ndarray, self.xp.generic))

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        return self.xp.asarray(obj, dtype=dtype)

    def to_host(self, array: Any) -> Any:
        return self.xp.asarray(array)

    def from_host(self, host_array: Any, device: Any = None) -> Any:
        return self.xp.asarray(host_array)

    def devices(self) -> list[Any]:
        return ["cpu"]

    def device_of(self, array: Any) -> Any:
        return "cpu"

    def to_device(self, array: Any, device: Any) -> Any:
        if device not in (None, "cpu"):
            raise ValueError(f"the numpy backend has one device, 'cpu'; got {device!r}")
        return array

    def random_generator(self, seed: int | None = None) -> RandomGenerator:
        return NumpyRandomGenerator(self.xp, seed)

    def fast_functions(self) -> dict[str, Any]:
        """numpy's reductions, reshapes, casts and gathers without their Python wrappers (see
        :mod:`dezero_numpy.reductions` and :mod:`dezero_numpy.layout`)."""
        from dezero_numpy import layout, reductions  # imports numpy: not at module import

        return {**reductions.FUNCTIONS, **layout.FUNCTIONS}

    def optimizer_kernel(self, name: str) -> Any:
        """numpy's fused optimizer updates (see :mod:`dezero_numpy.optimizer_kernels`; ``"jit:"`` names:
        :mod:`dezero_numpy.jit_kernels`, None without numba)."""
        from dezero_numpy import optimizer_kernels

        if name.startswith("jit:"):
            from dezero_numpy import jit_kernels

            return jit_kernels.kernel(name[4:])
        return optimizer_kernels.KERNELS.get(name)

    def fuse_elementwise(self, program: Any) -> Any:
        """A chain of exact arithmetic as one numba loop where numba is installed (see
        :mod:`dezero_numpy.jit_fusion`), else computed block by block in cache (see
        :mod:`dezero_numpy.fusion`); None where that does not measure faster."""
        from dezero_numpy import fusion, jit_fusion

        return jit_fusion.fuse(program) or fusion.fuse(program)

    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        self.xp.add.at(target, index, values)

    def compute_scope(self, flush_denormals: bool = True) -> Any:
        """Flush denormals on this CPU thread for the block, restoring its whole mode after (see
        :mod:`dezero_numpy.denormals`); yields False where unsupported (not Linux/glibc on x86_64 or
        aarch64)."""
        from dezero_numpy import denormals  # loads libm: not at module import

        return denormals.compute_scope(flush_denormals)

    def im2col(self, x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
               pad_value: float = 0.0) -> Any:
        """The windows of ``x`` as a read-only strided view (see :mod:`dezero_numpy.windows`)."""
        from dezero_numpy import windows  # imports numpy: not at module import

        return windows.im2col(self.xp, x, kh, kw, sy, sx, ph, pw, pad_value)

    def col2im(self, col: Any, img_shape: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int) -> Any:
        """``col`` summed back into an image, through a strided view (see :mod:`dezero_numpy.windows`)."""
        from dezero_numpy import windows

        return windows.col2im(self.xp, col, tuple(img_shape), kh, kw, sy, sx, ph, pw)

    def from_bytes(self, item: Any, device: Any = None) -> Any:
        """A numpy array from a file's bytes (see :mod:`dezero_numpy.host_io`)."""
        from dezero_numpy import host_io

        self.to_device(None, device)  # refuses a device other than the CPU
        return host_io.from_bytes(self.xp, item)
