"""Default random generators: one per backend and per thread, seeded together.

Layers draw their initial weights, dropout its masks and data loaders their shuffles from here
unless given a generator of their own, so ``dezero_core.random.seed(0)`` makes a run repeatable.

Each thread has its own default generators: two models built and trained in two threads draw from
separate streams, so each run is repeatable whatever the other thread does. A thread's generators
start from its own seed (:func:`seed` called in that thread), else from the last seed given in any
thread (or fresh entropy if there was none). For full control, pass a generator explicitly
(``initializers.normal(..., generator=g)``, ``F.dropout(x, generator=g)``, ``L.Dropout(generator=g)``),
made with ``backend.random_generator(seed)``.
"""
from __future__ import annotations

import threading
from typing import Any

from dezero_core.backend.protocol import RandomGenerator
from dezero_core.backend.selection import get_backend

_NOT_SEEDED = object()
_process_seed: int | None = None  # the last seed given in any thread: the start of threads not seeded
_local = threading.local()


def _generators() -> dict[str, RandomGenerator]:
    generators = getattr(_local, "generators", None)
    if generators is None:
        generators = _local.generators = {}
    return generators


def _seed() -> int | None:
    own = getattr(_local, "seed", _NOT_SEEDED)
    return _process_seed if own is _NOT_SEEDED else own


def get_generator(backend: Any = None) -> RandomGenerator:
    """The calling thread's default generator of ``backend`` (a name, a backend, or None for the current one)."""
    b = get_backend(backend)
    generators = _generators()
    if b.name not in generators:
        generators[b.name] = b.random_generator(_seed())
    return generators[b.name]


def seed(value: int) -> None:
    """Reseed the calling thread's default generators (existing and future ones) with ``value``; threads
    that never call :func:`seed` start their generators from it too."""
    global _process_seed
    _process_seed = value
    _local.seed = value
    _generators().clear()


def get_state() -> dict[str, Any]:
    """Snapshot of the calling thread's default generators, for checkpoints."""
    return {"seed": _seed(), "generators": {name: g.get_state() for name, g in _generators().items()}}


def set_state(state: dict[str, Any]) -> None:
    """Restore, in the calling thread, a snapshot taken by :func:`get_state`."""
    _local.seed = state["seed"]
    generators = _generators()
    generators.clear()
    for name, generator_state in state["generators"].items():
        get_generator(name).set_state(generator_state)
