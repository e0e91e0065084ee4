"""Default random generators, one per backend, seeded together.

Layers draw their initial weights, dropout its masks and data loaders their shuffles from here
unless given a generator of their own, so ``dezero_core.random.seed(0)`` makes a run repeatable.
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend.protocol import RandomGenerator
from dezero_core.backend.selection import get_backend

_generators: dict[str, RandomGenerator] = {}
_seed: int | None = None


def get_generator(backend: Any = None) -> RandomGenerator:
    """The default generator of ``backend`` (a name, a backend, or None for the current one)."""
    b = get_backend(backend)
    if b.name not in _generators:
        _generators[b.name] = b.random_generator(_seed)
    return _generators[b.name]


def seed(value: int) -> None:
    """Reseed every backend's default generator (existing and future ones) with ``value``."""
    global _seed
    _seed = value
    _generators.clear()


def get_state() -> dict[str, Any]:
    """Snapshot of every default generator's state, for checkpoints."""
    return {"seed": _seed, "generators": {name: g.get_state() for name, g in _generators.items()}}


def set_state(state: dict[str, Any]) -> None:
    """Restore a snapshot taken by :func:`get_state`."""
    global _seed
    _seed = state["seed"]
    _generators.clear()
    for name, generator_state in state["generators"].items():
        get_generator(name).set_state(generator_state)
