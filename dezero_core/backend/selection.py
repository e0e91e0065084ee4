"""Which backend owns an array, and which backend new arrays are created on.

Precedence for the current backend: ``using_backend`` (per thread/context) over ``set_backend``
over ``DEZERO_BACKEND=<name>|auto`` (read at first use) over auto: the first usable of ``cupy``,
``numpy``, then any other installed backend by priority.
"""
from __future__ import annotations

import contextlib
import os
from contextvars import ContextVar
from typing import Any, Iterator

from dezero_core.backend.protocol import ArrayBackend
from dezero_core.discovery import UnknownNameError, registry

AUTO_ORDER = ("cupy", "numpy")
ENV = "DEZERO_BACKEND"

_instances: dict[str, ArrayBackend] = {}
_by_type: dict[type, ArrayBackend] = {}
_default: ArrayBackend | None = None
_scoped: ContextVar[ArrayBackend | None] = ContextVar("dezero_backend", default=None)


class BackendError(RuntimeError):
    """A backend that is unknown, unusable or missing."""


def _instance(name: str) -> ArrayBackend:
    """The one instance of the backend registered as ``name`` (no availability check)."""
    key = name.split(":")[-1]
    if key not in _instances:
        try:
            factory = registry("dezero.backends").get(name)
        except UnknownNameError as exc:
            raise BackendError(f"unknown backend {name!r}. {_installed_summary()}") from exc
        backend = factory() if isinstance(factory, type) else factory
        if not isinstance(backend, ArrayBackend):
            raise BackendError(f"entry point {name!r} in dezero.backends is not an ArrayBackend: {backend!r}")
        _instances[key] = backend
    return _instances[key]


def _installed_summary() -> str:
    names = registry("dezero.backends").names()
    if not names:
        return "No backend is installed: pip install dezero-numpy (CPU) or dezero-cupy[cuda12] (NVIDIA GPU)."
    parts = []
    for n in names:
        try:
            b = _instance(n)
            parts.append(n if b.is_available() else f"{n} (unusable: {b.unavailable_reason})")
        except Exception as exc:  # a broken plugin must not hide the others
            parts.append(f"{n} (failed to load: {exc})")
    return "Installed backends: " + ", ".join(parts) + "."


def backend_names() -> list[str]:
    """Names of every installed backend, usable or not."""
    return registry("dezero.backends").names()


def get_backend(name: str | None = None) -> ArrayBackend:
    """The backend called ``name``, or the current one when ``name`` is None.

    Raises :class:`BackendError` naming the installed backends when ``name`` is unknown or unusable.
    """
    if name is None:
        return _scoped.get() or _default or _select_default()
    if isinstance(name, ArrayBackend):
        return name
    backend = _instance(name)
    if not backend.is_available():
        raise BackendError(f"backend {name!r} is installed but unusable: {backend.unavailable_reason}. "
                           f"{_installed_summary()}")
    _register_types(backend)
    return backend


def _select_default() -> ArrayBackend:
    global _default
    choice = os.environ.get(ENV, "auto").strip() or "auto"
    _default = auto_backend() if choice == "auto" else get_backend(choice)
    return _default


def auto_backend() -> ArrayBackend:
    """The first usable of ``cupy``, ``numpy``, then other installed backends by priority."""
    names = backend_names()
    for name in [n for n in AUTO_ORDER if n in names]:
        if _usable(name):
            return get_backend(name)
    # only now load the other backends' modules, to read their priorities
    for name in sorted((n for n in names if n not in AUTO_ORDER), key=lambda n: -_instance(n).priority):
        if _usable(name):
            return get_backend(name)
    raise BackendError("no usable array backend. " + _installed_summary())


def _usable(name: str) -> bool:
    """Whether backend ``name`` loads and is available (probes it; builds no error message, which
    would probe every installed backend)."""
    try:
        return _instance(name).is_available()
    except BackendError:
        return False


def set_backend(name: str) -> ArrayBackend:
    """Make ``name`` (or ``"auto"``) the backend new arrays are created on, process-wide."""
    global _default
    _default = auto_backend() if name == "auto" else get_backend(name)
    return _default


@contextlib.contextmanager
def using_backend(name: str) -> Iterator[ArrayBackend]:
    """Use backend ``name`` inside the ``with`` block, in this thread/context only."""
    token = _scoped.set(get_backend(name))
    try:
        yield _scoped.get()  # type: ignore[misc]
    finally:
        _scoped.reset(token)


def _register_types(backend: ArrayBackend) -> None:
    for t in backend.array_types():
        _by_type.setdefault(t, backend)


def backend_of(array: Any) -> ArrayBackend:
    """The backend owning ``array``; raises TypeError for something that is not an array."""
    backend = _by_type.get(type(array))
    if backend is not None:
        return backend
    for name in backend_names():
        try:
            candidate = get_backend(name)
        except Exception:  # unusable or broken backends cannot own anything
            continue
        if candidate.owns(array):
            _by_type[type(array)] = candidate
            return candidate
    raise TypeError(f"{type(array).__module__}.{type(array).__qualname__} is not an array of any installed "
                    f"backend ({', '.join(backend_names()) or 'none installed'}); convert it first, "
                    f"e.g. numpy.asarray(...)")
