"""Entry-point registries: one per group, listing by metadata, loading per name on first use.

Policies, read from the environment:

- ``DEZERO_PLUGIN_ERRORS=warn|raise|ignore`` (default ``warn``): what a walk over a group
  (:meth:`Registry.load_all`, the plugin manager, ``dezero plugins``) does with an entry that fails
  to import or a name two distributions claim. Asking for one name with :meth:`Registry.get` always
  raises: the caller wanted that object.
- ``DEZERO_DISABLED_PLUGINS=dist,dist:name`` (commas or spaces) switches off whole distributions or
  single entries, as if they were not installed (read at the first scan, and again after
  :meth:`Registry.refresh`); a name that matches nothing installed is an error, not a silent no-op.
"""
from __future__ import annotations

import difflib
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from dezero_core.discovery.errors import (
    PluginConfigError,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    PluginWarning,
    UnknownNameError,
)
from dezero_core.discovery.lazy import forget_stored_attributes
from dezero_core.discovery.metadata import (
    EntryPointInfo,
    canonical_name,
    installed_entry_points,
    load_object,
)

GROUPS = (
    "dezero.backends",
    "dezero.functions",
    "dezero.layers",
    "dezero.optimizers",
    "dezero.models",
    "dezero.datasets",
    "dezero.trainers",
    "dezero.extensions",
    "dezero.plugins",
    "dezero.onnx_converters",
    "dezero.commands",
    "dezero.passes",
)

ERRORS_ENV = "DEZERO_PLUGIN_ERRORS"  # warn (default) | raise | ignore
DISABLED_ENV = "DEZERO_DISABLED_PLUGINS"  # distribution names or dist:name, comma- or space-separated
IN_PROCESS = "__main__"  # the distribution name of objects registered with Registry.register

_NOT_LOADED = object()


def error_policy() -> str:
    """How a walk reports a broken or conflicting plugin: ``warn``, ``raise`` or ``ignore``."""
    policy = os.environ.get(ERRORS_ENV, "warn").strip().lower() or "warn"
    if policy not in ("warn", "raise", "ignore"):
        raise ValueError(f"{ERRORS_ENV}={policy!r} is not one of warn, raise, ignore")
    return policy


def disabled_plugins() -> frozenset[str]:
    """Distributions (or ``dist:name`` entries) switched off with DEZERO_DISABLED_PLUGINS.

    Names are separated by commas, spaces or both (``dist-a,dist-b``, ``"dist-a dist-b"``).
    """
    parts = re.split(r"[\s,]+", os.environ.get(DISABLED_ENV, ""))
    return frozenset(_canonical_qualified(p) for p in parts if p)


def check_disabled_plugins(installed: Iterable[EntryPointInfo]) -> None:
    """Refuse a DEZERO_DISABLED_PLUGINS that names something not installed: a typo would otherwise
    leave the plugin it meant running, without a word."""
    off = disabled_plugins()
    if not off:
        return
    infos = list(installed)
    dists = {info.dist for info in infos}
    entries = {f"{info.dist}:{info.name}" for info in infos}
    unknown = sorted(item for item in off if item not in (entries if ":" in item else dists))
    if unknown:
        hints = [f"{item} (did you mean {', '.join(close)}?)" if (close := difflib.get_close_matches(
                     item, entries if ":" in item else dists, n=3)) else item for item in unknown]
        raise PluginConfigError(
            f"{DISABLED_ENV}={os.environ.get(DISABLED_ENV, '')!r} names what no installed distribution "
            f"provides: {'; '.join(hints)}. Give distribution names or dist:name entries, separated by "
            f"commas or spaces; installed distributions with plugins: {', '.join(sorted(dists))}.")


def _canonical_qualified(text: str) -> str:
    dist, sep, name = text.partition(":")
    return canonical_name(dist) + sep + name


def report(exc: PluginError) -> None:
    """Report a problem found while walking plugins, according to DEZERO_PLUGIN_ERRORS."""
    policy = error_policy()
    if policy == "raise":
        raise exc
    if policy == "warn":
        warnings.warn(str(exc), PluginWarning, stacklevel=3)


@dataclass
class Entry:
    """One entry point: a public name in a group, provided by one distribution."""

    group: str
    name: str
    value: str
    dist: str
    version: str
    disabled: bool = False
    error: BaseException | None = field(repr=False, default=None)
    _loaded: Any = field(repr=False, default=_NOT_LOADED)

    @property
    def qualified_name(self) -> str:
        """``dist:name``: always unambiguous, even when two distributions claim ``name``."""
        return f"{self.dist}:{self.name}"

    @property
    def loaded(self) -> bool:
        """Whether the object was imported already."""
        return self._loaded is not _NOT_LOADED

    @property
    def status(self) -> str:
        """``loaded``, ``not loaded``, ``disabled`` or ``failed: <error>``."""
        if self.disabled:
            return "disabled"
        if self.error is not None:
            return f"failed: {type(self.error).__name__}: {self.error}"
        return "loaded" if self.loaded else "not loaded"

    def load(self) -> Any:
        """Import the object this entry points at (once); raise :class:`PluginLoadError` on failure.

        A failure is remembered: asking again raises the same error without importing again.
        """
        if self.loaded:
            return self._loaded
        if self.disabled:
            raise PluginLoadError(f"{self.qualified_name} ({self.group}) is disabled by "
                                  f"{DISABLED_ENV}={os.environ.get(DISABLED_ENV, '')}")
        if self.error is not None:
            raise self.fail(self.error) from self.error
        try:
            self._loaded = load_object(self.value)
        except Exception as exc:  # any import-time failure of third-party code
            raise self.fail(exc) from exc
        return self._loaded

    def fail(self, exc: BaseException) -> PluginLoadError:
        """Record that this plugin is broken (``exc`` happened loading or setting it up) and return
        the error that reports it: distribution, version, error and how to disable it."""
        self.error = exc
        return PluginLoadError(
            f"plugin {self.name!r} ({self.group}) from distribution {self.dist} {self.version} "
            f"failed to load: {type(exc).__name__}: {exc}. Disable it with "
            f"{DISABLED_ENV}={self.dist} or uninstall it (pip uninstall {self.dist})."
        )


class Registry:
    """The entry points of one group, keyed by public name.

    ``names()`` and ``entries()`` read metadata only; ``get(name)`` imports the one object asked for.
    Objects can also be registered in-process with :meth:`register` (tests, notebooks); those
    survive :meth:`refresh`.
    """

    def __init__(self, group: str) -> None:
        self.group = group
        self._by_name: dict[str, list[Entry]] | None = None  # installed + registered, enabled
        self._disabled: list[Entry] = []
        self._registered: dict[str, Entry] = {}
        self._lock = threading.Lock()

    # -- listing -----------------------------------------------------------------------------
    def _scan(self) -> dict[str, list[Entry]]:
        by_name = self._by_name
        if by_name is None:
            with self._lock:
                if self._by_name is None:
                    self._by_name = self._build()
                by_name = self._by_name
        return by_name

    def _build(self) -> dict[str, list[Entry]]:
        off = disabled_plugins()
        by_name: dict[str, list[Entry]] = {}
        self._disabled = []
        for info in _snapshot().get(self.group, ()):
            disabled = info.dist in off or f"{info.dist}:{info.name}" in off
            entry = Entry(self.group, info.name, info.value, info.dist, info.version, disabled)
            if disabled:
                self._disabled.append(entry)
            else:
                by_name.setdefault(info.name, []).append(entry)
        for entry in self._registered.values():
            by_name.setdefault(entry.name, []).append(entry)
        for entries in by_name.values():
            entries.sort(key=lambda e: e.dist)  # claimants in a stable order, whatever the file system's
        return by_name

    def refresh(self) -> None:
        """Read the installed metadata again (after installing, removing or disabling a plugin in a
        running process). In-process registrations are kept."""
        with self._lock:
            _forget_snapshot()
            self._by_name = None
        forget_stored_attributes(self.group)

    def entries(self, include_disabled: bool = False) -> list[Entry]:
        """Every entry of the group, sorted by name then distribution; disabled ones on request."""
        found = [e for entries in self._scan().values() for e in entries]
        if include_disabled:
            found += self._disabled
        return sorted(found, key=lambda e: (e.name, e.dist))

    def names(self) -> list[str]:
        """The public names registered (and enabled) in the group, sorted."""
        return sorted(self._scan())

    def conflicts(self) -> dict[str, list[Entry]]:
        """The names that several distributions claim, with their entries."""
        return {name: entries for name, entries in sorted(self._scan().items()) if len(entries) > 1}

    def __contains__(self, name: str) -> bool:
        return bool(self._candidates(name))

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    # -- lookup --------------------------------------------------------------------------------
    def entry(self, name: str) -> Entry:
        """The single entry for ``name`` or ``dist:name``.

        Raises :class:`UnknownNameError` (close matches and installed names in the message) or
        :class:`PluginConflictError` (naming every claimant).
        """
        found = self._candidates(name)
        if len(found) == 1:
            return found[0]
        if found:
            raise _conflict(self.group, found)
        raise self._unknown(name)

    def get(self, name: str) -> Any:
        """Load and return the object registered as ``name`` (or ``dist:name``)."""
        return self.entry(name).load()

    def load_all(self) -> dict[str, Any]:
        """Load every entry; name -> object. A walk: problems are reported by DEZERO_PLUGIN_ERRORS.

        A broken entry is left out; a name several distributions claim is reported, and each
        claimant is loaded under its qualified ``dist:name``.
        """
        loaded: dict[str, Any] = {}
        for name, entries in sorted(self._scan().items()):
            if len(entries) > 1:
                report(_conflict(self.group, entries))
            for entry in entries:
                try:
                    loaded[name if len(entries) == 1 else entry.qualified_name] = entry.load()
                except PluginLoadError as exc:
                    report(exc)
        return loaded

    def register(self, name: str, obj: Any, dist: str = IN_PROCESS, version: str = "0") -> None:
        """Register ``obj`` under ``name`` in this process, as if distribution ``dist`` declared it."""
        entry = Entry(self.group, name, f"<registered {obj!r}>", dist, version, _loaded=obj)
        with self._lock:
            self._registered[entry.qualified_name] = entry
            self._by_name = None
        forget_stored_attributes(self.group)

    def unregister(self, name: str, dist: str = IN_PROCESS) -> None:
        """Remove an in-process registration made with :meth:`register`."""
        with self._lock:
            self._registered.pop(f"{dist}:{name}", None)
            self._by_name = None
        forget_stored_attributes(self.group)

    def _candidates(self, name: str) -> list[Entry]:
        dist, sep, bare = name.rpartition(":")
        entries = self._scan().get(bare, [])
        if sep:
            entries = [e for e in entries if canonical_name(e.dist) == canonical_name(dist)]
        return entries

    def _unknown(self, name: str) -> UnknownNameError:
        by_name = self._scan()
        dist, sep, bare = name.rpartition(":")
        kind = self.group.rsplit(".", 1)[-1]
        kind = kind[:-2] if kind.endswith("sses") else kind.removesuffix("s")  # passes -> pass
        where = f" from distribution {canonical_name(dist)}" if sep else ""
        message = f"no {kind} named {bare!r}{where} is installed."
        switched_off = [e for e in self._disabled if e.name == bare]
        if switched_off:
            message += (f" {', '.join(e.qualified_name for e in switched_off)} provides it but is "
                        f"disabled by {DISABLED_ENV}={os.environ.get(DISABLED_ENV, '')}.")
        close = difflib.get_close_matches(bare, list(by_name), n=5)
        if close:
            message += f" Did you mean: {', '.join(close)}?"
        message += f" Installed: {', '.join(sorted(by_name)) or 'none'}."
        return UnknownNameError(message)


def _conflict(group: str, entries: list[Entry]) -> PluginConflictError:
    name = entries[0].name
    claimants = ", ".join(f"{e.dist} {e.version} ({e.value})" for e in entries)
    choices = " or ".join(repr(e.qualified_name) for e in entries)
    return PluginConflictError(
        f"{name!r} in {group} is registered by several distributions: {claimants}. Ask for one "
        f"explicitly as {choices}, or disable one with {DISABLED_ENV}=<distribution>."
    )


# -- one metadata scan shared by every group ------------------------------------------------------
_SNAPSHOT: dict[str, list[EntryPointInfo]] | None = None
_SNAPSHOT_LOCK = threading.Lock()


def _snapshot() -> dict[str, list[EntryPointInfo]]:
    global _SNAPSHOT
    with _SNAPSHOT_LOCK:
        if _SNAPSHOT is None:
            by_group: dict[str, list[EntryPointInfo]] = {}
            installed = installed_entry_points("dezero.")
            check_disabled_plugins(installed)
            for info in installed:
                by_group.setdefault(info.group, []).append(info)
            _SNAPSHOT = by_group
        return _SNAPSHOT


def _forget_snapshot() -> None:
    global _SNAPSHOT
    with _SNAPSHOT_LOCK:
        _SNAPSHOT = None


_REGISTRIES: dict[str, Registry] = {}


def registry(group: str) -> Registry:
    """The process-wide registry of ``group`` (``"functions"`` is short for ``"dezero.functions"``)."""
    if "." not in group:
        group = f"dezero.{group}"
    if group not in _REGISTRIES:
        if not group.startswith("dezero."):
            raise ValueError(f"unknown entry-point group {group!r}; known: {', '.join(GROUPS)}")
        _REGISTRIES.setdefault(group, Registry(group))
    return _REGISTRIES[group]


def refresh_all() -> None:
    """:meth:`Registry.refresh` every group: read the installed metadata again."""
    for reg in list(_REGISTRIES.values()):
        reg.refresh()
