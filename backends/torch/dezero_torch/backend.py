"""``TorchBackend``: PyTorch tensors behind dezero-core's array-backend protocol.

The array-API namespace is ``array_api_compat.torch``, which gives torch's functions the standard's
names and signatures. New tensors go where torch puts them by default (``torch.get_default_device()``:
the CPU unless the user chose otherwise with ``torch.set_default_device``); CUDA and Apple MPS devices
are listed where present, and ``Variable.to("torch:cuda")`` / ``Layer.to("torch:mps")`` move there.
torch's autograd is never used: dezero records its own graph, on tensors that require no gradient.
"""
from __future__ import annotations

import importlib.util
from typing import Any

from dezero_core.backend import ArrayBackend, RandomGenerator


class TorchBackend(ArrayBackend):
    """Arrays as ``torch.Tensor`` (CPU; CUDA and MPS where present) through array-api-compat."""

    name = "torch"
    priority = 5  # after numpy and cupy when selecting automatically: pick it by name
    array_module = "torch"

    @property
    def unsupported(self) -> dict[str, str]:  # type: ignore[override]
        """float64 where new tensors go to Apple's MPS, which has none."""
        if self.is_available() and self._torch.get_default_device().type == "mps":
            return {"float64": "Apple's MPS device (torch's default device here) has no float64"}
        return {}

    def _load(self) -> Any:
        for module, dist in (("torch", "torch"), ("array_api_compat", "array-api-compat")):
            if importlib.util.find_spec(module) is None:
                raise ImportError(f"{dist} is not installed: pip install {dist}")
        import array_api_compat.torch
        import numpy
        import torch

        self._torch = torch
        self._numpy = numpy
        return array_api_compat.torch

    def array_types(self) -> tuple[type, ...]:
        return (self._torch_module().Tensor,)

    def _torch_module(self) -> Any:
        self.xp  # noqa: B018  (probes: imports torch or raises why it cannot)
        return self._torch

    # -- host transfer and devices ------------------------------------------------------------
    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        return self.xp.asarray(obj, dtype=dtype, device=device)

    def to_host(self, array: Any) -> Any:
        """A numpy copy of ``array`` (from any device)."""
        return array.detach().to("cpu", copy=True).resolve_conj().resolve_neg().numpy()

    def from_host(self, host_array: Any, device: Any = None) -> Any:
        """A tensor holding a copy of ``host_array`` (so that neither side sees the other's writes), on
        ``device`` or torch's default device."""
        host = self._numpy.array(host_array, copy=True, order="C")
        tensor = self._torch.from_numpy(host)  # shares host's memory: the copy above is the tensor's
        return tensor.to(device if device is not None else self._torch.get_default_device())

    def devices(self) -> list[Any]:
        """The CPU, every CUDA device and Apple's MPS device, those present."""
        torch = self._torch_module()
        found = [torch.device("cpu")]
        if torch.cuda.is_available():
            found += [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
        if torch.backends.mps.is_available():
            found.append(torch.device("mps", 0))  # what an MPS tensor's .device reads
        return found

    def device_of(self, array: Any) -> Any:
        return array.device

    def to_device(self, array: Any, device: Any) -> Any:
        return array if device is None or array.device == device else array.to(device)

    def synchronize(self) -> None:
        """Wait for queued CUDA and MPS work (nothing to wait for on the CPU)."""
        torch = self._torch_module()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
        if torch.backends.mps.is_available():
            torch.mps.synchronize()

    def random_generator(self, seed: int | None = None) -> RandomGenerator:
        """A ``torch.Generator`` on the default device."""
        from dezero_torch.random import TorchRandomGenerator

        torch = self._torch_module()
        return TorchRandomGenerator(torch, torch.get_default_device(), seed)

    # -- extras the array API lacks ---------------------------------------------------------
    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        """``target[index] += values`` with repeated indices added up, for any key torch indexes by.

        The key selects the flat positions of ``arange(target.numel())`` it reads (repeats
        included); ``index_add_`` then accumulates ``values`` there, so integer arrays, slices,
        ints, masks and mixes of them all take one path.
        """
        torch = self._torch
        flat = target if target.is_contiguous() else target.contiguous()
        positions = torch.arange(flat.numel(), device=flat.device).reshape(flat.shape)[index]
        addend = torch.broadcast_to(values, positions.shape).reshape(-1)
        flat.view(-1).index_add_(0, positions.reshape(-1), addend.to(flat.dtype))
        if flat is not target:
            target.copy_(flat)

    def im2col(self, x: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
               pad_value: float = 0.0) -> Any:
        """The windows of ``x`` as a view through ``Tensor.unfold`` (no copy beyond the padding)."""
        if ph or pw:
            x = self._torch.nn.functional.pad(x, (pw, pw, ph, ph), value=pad_value)
        return x.unfold(2, kh, sy).unfold(3, kw, sx).permute(0, 1, 4, 5, 2, 3)

    def col2im(self, col: Any, img_shape: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int) -> Any:
        """``col`` summed back into an image by ``torch.nn.functional.fold`` (floats; the portable
        default otherwise)."""
        if not col.is_floating_point():
            return super().col2im(col, img_shape, kh, kw, sy, sx, ph, pw)
        n, c, _, _, oh, ow = col.shape
        h, w = img_shape[2], img_shape[3]
        return self._torch.nn.functional.fold(col.reshape(n, c * kh * kw, oh * ow), (h, w), (kh, kw),
                                              padding=(ph, pw), stride=(sy, sx)).reshape(n, c, h, w)

    def erf(self, x: Any) -> Any:
        """torch's own error function."""
        return self._torch.special.erf(x)
