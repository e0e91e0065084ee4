"""The random generator of the torch backend: a ``torch.Generator`` on one device."""
from __future__ import annotations

from typing import Any

from dezero_core.backend import RandomGenerator


class TorchRandomGenerator(RandomGenerator):
    """Draws tensors on ``device`` from one ``torch.Generator`` (PyTorch's Philox or Mersenne Twister).

    Floats are drawn in float64 (float32 on MPS) and cast to the dtype asked for.

    The state travels as a host (numpy) ``uint8`` array, so checkpoints hold it like any array.
    """

    def __init__(self, torch: Any, device: Any, seed: int | None) -> None:
        self._torch = torch
        self.device = device
        self._gen = torch.Generator(device=device)
        if seed is None:
            self._gen.seed()  # a non-deterministic seed, as numpy's default_rng(None)
        else:
            self._gen.manual_seed(seed)
        # drawn in one dtype whatever is asked for, then cast (as the numpy backend does): one seed
        # gives the same numbers to a float32 and a float64 run, so a dropout mask checked against
        # float64 central differences is the mask the float32 forward drew. MPS has no float64.
        self._draw_dtype = torch.float32 if torch.device(device).type == "mps" else torch.float64

    def uniform(self, low: float, high: float, shape: Any, dtype: Any) -> Any:
        u = self._torch.rand(tuple(shape), generator=self._gen, dtype=self._draw_dtype, device=self.device)
        return u.mul_(high - low).add_(low).to(dtype)

    def normal(self, mean: float, std: float, shape: Any, dtype: Any) -> Any:
        z = self._torch.randn(tuple(shape), generator=self._gen, dtype=self._draw_dtype, device=self.device)
        return z.mul_(std).add_(mean).to(dtype)

    def integers(self, low: int, high: int, shape: Any) -> Any:
        return self._torch.randint(low, high, tuple(shape), generator=self._gen, device=self.device)

    def permutation(self, n: int) -> Any:
        return self._torch.randperm(n, generator=self._gen, device=self.device)

    def get_state(self) -> Any:
        """The generator's state as a host ``uint8`` numpy array (torch returns a CPU ByteTensor)."""
        return self._gen.get_state().numpy().copy()

    def set_state(self, state: Any) -> None:
        """Restore :meth:`get_state`'s array: a host array, or a tensor (a checkpoint loads arrays
        onto the current backend)."""
        if isinstance(state, self._torch.Tensor):
            state = state.detach().cpu().numpy()
        self._gen.set_state(self._torch.from_numpy(_uint8_array(state)))


def _uint8_array(state: Any) -> Any:
    import numpy as np

    host = np.ascontiguousarray(state)
    if host.dtype != np.uint8 or host.ndim != 1:
        raise ValueError(f"a torch generator state is a 1-d uint8 array (from get_state()); got "
                         f"{host.dtype} of shape {host.shape}")
    return host.copy()  # torch must own memory that the caller may reuse
