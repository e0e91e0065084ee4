"""``CupyBackend``: arrays in NVIDIA GPU memory through CuPy.

cupy is imported when the backend is probed (``is_available``, first use), never when this module
or ``dezero_core`` is imported. Allocations go through CuPy's default memory pool, which caches freed
blocks: a training step reuses the previous step's memory instead of calling cudaMalloc.
"""
from __future__ import annotations

from typing import Any, Sequence

from dezero_core.backend import ArrayBackend, RandomGenerator


class CupyBackend(ArrayBackend):
    """NVIDIA GPUs through CuPy (>= 14, whose main namespace follows the array API standard; see
    :mod:`dezero_cupy.namespace` for the gaps it fills).

    Devices are ``cupy.cuda.Device`` objects; new arrays are created on CuPy's current device
    (``with cupy.cuda.Device(1): ...``) unless a device is given.
    """

    name = "cupy"
    array_module = "cupy"
    priority = 20  # above numpy (10): auto selection prefers a usable GPU

    def _load(self) -> Any:
        from dezero_cupy.probe import check_device, import_cupy

        cupy = import_cupy()
        check_device(cupy)
        import cupyx

        from dezero_cupy import kernels
        from dezero_cupy.namespace import CupyNamespace

        self._cupyx = cupyx
        self._kernels = kernels
        return CupyNamespace(cupy)

    # -- arrays -------------------------------------------------------------------------------
    def array_types(self) -> tuple[type, ...]:
        return (self.xp.ndarray,)

    def owns(self, obj: Any) -> bool:
        return isinstance(obj, self.xp.ndarray)

    def _device(self, device: Any) -> Any:
        """A ``cupy.cuda.Device`` from a device or its index."""
        return self.xp.cuda.Device(device) if isinstance(device, int) else device

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        # blocking=True: cupy's default host-to-device copy is asynchronous, and a caller that
        # reuses its host buffer right after (a data loader) would race with the copy.
        device = None if device is None else self._device(device)
        return self.xp.asarray(obj, dtype=dtype, device=device, blocking=True)

    def to_host(self, array: Any) -> Any:
        return self.xp.asnumpy(array)

    def from_host(self, host_array: Any, device: Any = None) -> Any:
        return self.asarray(host_array, device=device)

    def devices(self) -> list[Any]:
        cuda = self.xp.cuda
        return [cuda.Device(i) for i in range(cuda.runtime.getDeviceCount())]

    def device_of(self, array: Any) -> Any:
        return array.device

    def to_device(self, array: Any, device: Any) -> Any:
        if device is None:
            return array
        device = self._device(device)
        if array.device.id == device.id:
            return array
        with device:  # ndarray.copy() copies onto the current device, peer to peer
            return array.copy()

    def synchronize(self) -> None:
        """Wait until every stream of the current device has finished its queued work."""
        self.xp.cuda.Device().synchronize()

    def random_generator(self, seed: int | None = None) -> RandomGenerator:
        from dezero_cupy.random import CupyRandomGenerator

        return CupyRandomGenerator(self.xp, seed)

    # -- extras the array API lacks --------------------------------------------------------------
    # An array of this backend exists only after _load ran (get_backend and backend_of probe
    # first), so these may use what _load imported.
    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        self._cupyx.scatter_add(target, index, values)

    def im2col(self, x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
               pad_value: float = 0.0) -> Any:
        """One CUDA kernel (:func:`dezero_cupy.kernels.im2col`); a fresh, writable array."""
        return self._kernels.im2col(x, kh, kw, sy, sx, ph, pw, pad_value)

    def col2im(self, col: Any, img_shape: Sequence[int], kh: int, kw: int, sy: int, sx: int,
               ph: int, pw: int) -> Any:
        """One CUDA kernel (:func:`dezero_cupy.kernels.col2im`): a gather per pixel, no atomics."""
        return self._kernels.col2im(col, img_shape, kh, kw, sy, sx, ph, pw)

    def optimizer_kernel(self, name: str) -> Any:
        """One CUDA kernel per parameter and step (:data:`dezero_cupy.kernels.OPTIMIZERS`: ``"adam"``),
        or None; raises, saying why, where cupy is unusable."""
        self.xp  # noqa: B018  (loads cupy and the kernels, or raises with the reason)
        return self._kernels.OPTIMIZERS.get(name)

    def fuse_elementwise(self, program: Any) -> Any:
        """One generated ``ElementwiseKernel`` for the chain (:mod:`dezero_cupy.fusion`); None for
        float16."""
        self.xp  # noqa: B018  (loads cupy, or raises with the reason)
        from dezero_cupy import fusion

        return fusion.fuse(program)

    def erf(self, x: Any) -> Any:
        """CuPy's native erf kernel: one launch, where the portable default takes about a hundred."""
        from cupyx.scipy.special import erf  # imported at first use: most models never need it

        return erf(x)
