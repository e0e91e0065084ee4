"""Which backend owns an array, and which backend new arrays are created on.

The rule, in the spirit of ``torch.set_default_device``: the *selected* backend is where new arrays
are made (layers' parameters, ``as_array`` results, ``DataLoader`` batches: an explicit ``backend=``
wins); operations run where their inputs live. The selection is, by precedence: ``using_backend``
(per thread/context), ``set_backend``, ``DEZERO_BACKEND=<name>|auto`` (read at first use), auto: the
first usable of ``cupy``, ``numpy``, then any other installed backend by priority. Auto selection
skips a backend that is unusable or fails to load, keeping why for the error message.

A selection naming an unknown or unusable backend is an error at the first operation of the core,
whatever its inputs: the first time :func:`backend_of` meets an array type it checks the selection,
and from then on the type's owner is one dict lookup (the hot path pays nothing).
"""
from __future__ import annotations

import contextlib
import difflib
import os
from contextvars import ContextVar
from typing import Any, Iterator

from dezero_core.backend.protocol import ArrayBackend
from dezero_core.discovery import UnknownNameError, registry
from dezero_core.discovery.registry import DISABLED_ENV

AUTO_ORDER = ("cupy", "numpy")
ENV = "DEZERO_BACKEND"

_instances: dict[str, ArrayBackend] = {}
#: array type -> its backend; filled by :func:`backend_of` only, once the selection has been checked
_by_type: dict[type, ArrayBackend] = {}
_default: ArrayBackend | None = None
_scoped: ContextVar[ArrayBackend | None] = ContextVar("dezero_backend", default=None)


class BackendError(RuntimeError):
    """A backend that is unknown, unusable or missing."""


def _instance(name: str) -> ArrayBackend:
    """The one instance of the backend registered as ``name`` (no availability check).

    Raises :class:`BackendError` for an unknown name, and the registry's ``PluginLoadError`` when
    the backend's distribution fails to import.
    """
    key = name.split(":")[-1]
    if key not in _instances:
        try:
            factory = registry("dezero.backends").get(name)
        except UnknownNameError as exc:
            raise BackendError(f"no backend named {name!r} is installed") from exc
        backend = factory() if isinstance(factory, type) else factory
        if not isinstance(backend, ArrayBackend):
            raise BackendError(f"entry point {name!r} in dezero.backends is not an ArrayBackend: {backend!r}")
        _instances[key] = backend
    return _instances[key]


def _problem(name: str) -> str | None:
    """None when backend ``name`` loads and is usable; else what is wrong, completing "backend X "."""
    try:
        backend = _instance(name)
    except BackendError as exc:
        return _not_installed(name) if isinstance(exc.__cause__, UnknownNameError) else f"is unusable: {exc}"
    except Exception as exc:  # a distribution that fails to import, or is disabled
        return f"failed to load: {exc}"
    if backend.is_available():
        return None
    return f"is installed but unusable: {backend.unavailable_reason}"


def _not_installed(name: str) -> str:
    """Why no backend ``name`` is there: switched off by DEZERO_DISABLED_PLUGINS, or not installed."""
    bare = name.split(":")[-1]
    off = [e.qualified_name for e in registry("dezero.backends").entries(include_disabled=True)
           if e.name == bare and e.disabled]
    if off:
        return f"is disabled by {DISABLED_ENV}={os.environ.get(DISABLED_ENV, '')} ({', '.join(off)})"
    close = difflib.get_close_matches(bare, backend_names(), n=3)
    return "is not installed" + (f" (did you mean {' or '.join(close)}?)" if close else "")


def _installed_summary(mentioned: str = "") -> str:
    """The installed backends, each unusable one with why (except ``mentioned``, said already)."""
    names = registry("dezero.backends").names()
    if not names:
        return "No backend is installed: pip install dezero-numpy (CPU) or dezero-cupy[cuda12] (NVIDIA GPU)."
    parts = []
    for n in names:
        problem = _problem(n)
        parts.append(n if problem is None else f"{n} ({'see above' if n == mentioned else problem.removeprefix('is ')})")
    return "Installed backends: " + ", ".join(parts) + "."


def backend_names() -> list[str]:
    """Names of every installed backend, usable or not."""
    return registry("dezero.backends").names()


def get_backend(name: str | None = None) -> ArrayBackend:
    """The backend called ``name``, or the selected one when ``name`` is None.

    Raises :class:`BackendError` naming the installed backends when ``name`` (or the selection) is
    unknown, unusable or fails to load.
    """
    if name is None:
        return _scoped.get() or _default or _select_default()
    if isinstance(name, ArrayBackend):
        return name
    return _usable(name)


def _usable(name: str, asked_by: str = "") -> ArrayBackend:
    """Backend ``name``, which must load and be usable; ``asked_by`` says who chose it, for the error."""
    problem = _problem(name)
    if problem is None:
        return _instances[name.split(":")[-1]]
    if not asked_by:
        raise BackendError(f"backend {name!r} {problem}. {_installed_summary(name)}")
    raise BackendError(f"{asked_by} asked for backend {name!r}, which {problem}. "
                       f"{_installed_summary(name)} Choose one of them (or 'auto') instead.")


def _select_default() -> ArrayBackend:
    global _default
    choice = os.environ.get(ENV, "auto").strip() or "auto"
    _default = auto_backend() if choice == "auto" else _usable(choice, f"{ENV}={choice!r}")
    return _default


def auto_backend() -> ArrayBackend:
    """The first usable of ``cupy``, ``numpy``, then other installed backends by priority.

    A backend that is unusable or fails to load is passed over; the error when none is usable says why
    for each.
    """
    names = backend_names()
    for name in [n for n in AUTO_ORDER if n in names]:
        if _problem(name) is None:
            return _instances[name]
    # only now load the other backends' modules, to read their priorities; probe in that order
    for backend in sorted(_loading([n for n in names if n not in AUTO_ORDER]), key=lambda b: -b.priority):
        if backend.is_available():
            return backend
    raise BackendError("no usable array backend. " + _installed_summary())


def set_backend(name: str) -> ArrayBackend:
    """Make ``name`` (or ``"auto"``) the backend new arrays are created on, process-wide.

    Raises :class:`BackendError` at once when ``name`` is unknown or unusable.
    """
    global _default
    _default = auto_backend() if name == "auto" else _usable(name, f"set_backend({name!r})")
    return _default


@contextlib.contextmanager
def using_backend(name: str) -> Iterator[ArrayBackend]:
    """Use backend ``name`` inside the ``with`` block, in this thread/context only."""
    token = _scoped.set(name if isinstance(name, ArrayBackend) else _usable(name, f"using_backend({name!r})"))
    try:
        yield _scoped.get()  # type: ignore[misc]
    finally:
        _scoped.reset(token)


def backend_of(array: Any) -> ArrayBackend:
    """The backend owning ``array``; raises TypeError for something that is not an array.

    The first call for an array type checks the selection (a :class:`BackendError` when it names an
    unknown or unusable backend), then asks only the backends that declare the type's module
    (:attr:`ArrayBackend.array_module`) or declare none, so recognising a numpy array never imports
    another array library.
    """
    backend = _by_type.get(type(array))
    if backend is not None:
        return backend
    get_backend()  # the first operation on this type: a wrong selection is an error here
    for candidate in _candidates(type(array).__module__.partition(".")[0]):
        if candidate.is_available() and candidate.owns(array):
            _by_type[type(array)] = candidate
            return candidate
    raise TypeError(f"{type(array).__module__}.{type(array).__qualname__} is not an array of any installed "
                    f"backend ({', '.join(backend_names()) or 'none installed'}); convert it first, "
                    f"e.g. numpy.asarray(...)")


def _candidates(module: str) -> Iterator[ArrayBackend]:
    """The backends that may own an array of top-level module ``module``, lazily: the loaded ones
    declaring it (the selected backend answers for its own arrays without loading any other), then
    the others declaring it, then those declaring no module (broken ones left out: they own nothing)."""
    loaded = list(_instances.values())
    yield from (b for b in loaded if b.array_module == module)
    everything = _loading(backend_names())
    yield from (b for b in everything if b.array_module == module and b not in loaded)
    yield from (b for b in everything if not b.array_module)


def _loading(names: list[str]) -> list[ArrayBackend]:
    """The instances of the backends ``names`` whose distributions load (the others are left out)."""
    found = []
    for name in names:
        try:
            found.append(_instance(name))
        except Exception:  # a broken distribution: auto selection and ownership pass it over
            continue
    return found
