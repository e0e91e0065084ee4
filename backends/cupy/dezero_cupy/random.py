"""CuPy's ``Generator`` behind the backend's random protocol.

Samples are drawn on the GPU in the requested dtype: float32 noise is generated as float32, never
as float64 and then cast.

State: CuPy's bit generators (cuRAND XORWOW by default) keep their state in a device array, which
CuPy does not expose publicly; ``get_state`` copies that array (``bit_generator._state``, about
1.5 MB) to the host and ``set_state`` copies it back, so a restored generator continues the exact
stream. A CuPy version that keeps the state elsewhere makes both raise NotImplementedError naming
the attribute, rather than silently checkpointing nothing.
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend import RandomGenerator

# cupy's Generator draws normals and uniforms natively only in these dtypes
_NATIVE_FLOATS = ("float32", "float64")


class CupyRandomGenerator(RandomGenerator):
    """A seeded ``cupy.random.Generator`` producing arrays on the current GPU."""

    def __init__(self, cupy: Any, seed: int | None) -> None:
        self._cp = cupy
        self._gen = cupy.random.default_rng(seed)

    def _floats(self, draw: Any, shape: Any, dtype: Any) -> Any:
        dtype = self._cp.dtype(dtype)
        if dtype.name in _NATIVE_FLOATS:
            return draw(shape, dtype=dtype)
        return draw(shape, dtype=self._cp.float32).astype(dtype)  # float16: draw float32, round

    def uniform(self, low, high, shape, dtype):
        y = self._floats(self._gen.random, shape, dtype)
        y *= high - low  # Python scalars: the dtype stays
        y += low
        return y

    def normal(self, mean, std, shape, dtype):
        y = self._floats(self._gen.standard_normal, shape, dtype)
        y *= std
        y += mean
        return y

    def integers(self, low, high, shape):
        return self._gen.integers(low, high, shape)

    def permutation(self, n):
        # argsort of uniform keys: a uniform random permutation, in any cupy version
        return self._cp.argsort(self._gen.random(n, dtype=self._cp.float64))

    def get_state(self) -> dict[str, Any]:
        bit_generator = self._gen.bit_generator
        return {"bit_generator": type(bit_generator).__name__,
                "state": self._cp.asnumpy(_device_state(bit_generator))}

    def set_state(self, state: dict[str, Any]) -> None:
        bit_generator = self._gen.bit_generator
        kind = type(bit_generator).__name__
        if state.get("bit_generator") != kind:
            raise ValueError(f"this random state comes from a {state.get('bit_generator')!r} bit "
                             f"generator; this generator uses {kind!r}")
        target = _device_state(bit_generator)
        saved = state["state"]
        if saved.shape != target.shape or saved.dtype != target.dtype:
            raise ValueError(f"this random state holds {saved.size} bytes of {kind} state; this cupy "
                             f"keeps {target.size} (a different cupy version saved it)")
        target[...] = self._cp.asarray(saved)


def _device_state(bit_generator: Any) -> Any:
    state = getattr(bit_generator, "_state", None)
    if state is None or not hasattr(state, "data"):
        raise NotImplementedError(
            f"this cupy version keeps the state of {type(bit_generator).__name__} where dezero-cupy "
            f"cannot read it (it expected a device array in bit_generator._state): GPU random "
            f"states cannot be checkpointed with it")
    return state
