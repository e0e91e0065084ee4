"""Entry-point registries: one per group, listing by metadata, loading per name on first use."""
from __future__ import annotations

import difflib
import os
import sys
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterator

from dezero_core.discovery.errors import PluginConflictError, PluginLoadError, UnknownNameError

if sys.version_info >= (3, 10):
    from importlib import metadata as _metadata
else:  # pragma: no cover - the stdlib lacks entry_points(group=...) before 3.10
    import importlib_metadata as _metadata

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
)

ERRORS_ENV = "DEZERO_PLUGIN_ERRORS"  # warn (default) | raise | ignore
DISABLED_ENV = "DEZERO_DISABLED_PLUGINS"  # comma-separated distribution names or dist:name


def error_policy() -> str:
    """How a plugin that fails to load is reported: ``warn``, ``raise`` or ``ignore``."""
    policy = os.environ.get(ERRORS_ENV, "warn").strip().lower() or "warn"
    if policy not in ("warn", "raise", "ignore"):
        raise ValueError(f"{ERRORS_ENV}={policy!r} is not one of warn, raise, ignore")
    return policy


def disabled_plugins() -> frozenset[str]:
    """Distribution names (or ``dist:name`` entries) the user switched off with DEZERO_DISABLED_PLUGINS."""
    raw = os.environ.get(DISABLED_ENV, "")
    return frozenset(_canonical(p.strip()) for p in raw.split(",") if p.strip())


def _canonical(dist_name: str) -> str:
    return dist_name.lower().replace("_", "-").replace(".", "-")


@dataclass
class Entry:
    """One entry point: a public name in a group, provided by one distribution."""

    group: str
    name: str
    value: str
    dist: str
    version: str
    _entry_point: Any = field(repr=False, default=None)
    _loaded: Any = field(repr=False, default=None)
    error: BaseException | None = field(repr=False, default=None)

    @property
    def qualified_name(self) -> str:
        """``dist:name``: always unambiguous, even when two distributions claim ``name``."""
        return f"{self.dist}:{self.name}"

    @property
    def status(self) -> str:
        """``loaded``, ``not loaded`` or ``failed: <error>``."""
        if self.error is not None:
            return f"failed: {type(self.error).__name__}: {self.error}"
        return "loaded" if self._loaded is not None else "not loaded"

    def load(self) -> Any:
        """Import the object this entry points at (once); raise :class:`PluginLoadError` on failure."""
        if self._loaded is None:
            try:
                self._loaded = self._entry_point.load()
            except Exception as exc:  # any import-time failure of third-party code
                self.error = exc
                raise PluginLoadError(
                    f"plugin {self.name!r} ({self.group}) from distribution {self.dist} {self.version} "
                    f"failed to load: {type(exc).__name__}: {exc}. Disable it with "
                    f"{DISABLED_ENV}={self.dist} or uninstall it (pip uninstall {self.dist})."
                ) from exc
        return self._loaded


class Registry:
    """The entry points of one group, keyed by public name.

    ``names()`` and ``entries()`` read metadata only; ``get(name)`` imports the one object asked for.
    Objects can also be registered in-process with :meth:`register` (tests, notebooks).
    """

    def __init__(self, group: str) -> None:
        self.group = group
        self._by_name: dict[str, list[Entry]] | None = None
        self._lock = threading.Lock()

    # -- listing -----------------------------------------------------------------------------
    def _scan(self) -> dict[str, list[Entry]]:
        if self._by_name is None:
            with self._lock:
                if self._by_name is None:
                    self._by_name = _scan_group(self.group)
        return self._by_name

    def refresh(self) -> None:
        """Forget what was scanned (after installing or disabling a plugin in a running process)."""
        self._by_name = None

    def entries(self) -> list[Entry]:
        """Every enabled entry of the group, sorted by name then distribution."""
        return [e for name in sorted(self._scan()) for e in self._scan()[name]]

    def names(self) -> list[str]:
        """The public names registered in the group, sorted."""
        return sorted(self._scan())

    def __contains__(self, name: str) -> bool:
        return self._find(name, raise_unknown=False) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    # -- lookup --------------------------------------------------------------------------------
    def entry(self, name: str) -> Entry:
        """The single entry for ``name`` or ``dist:name``; errors on unknown or ambiguous names."""
        found = self._find(name, raise_unknown=True)
        assert found is not None
        return found

    def get(self, name: str) -> Any:
        """Load and return the object registered as ``name`` (or ``dist:name``)."""
        return self.entry(name).load()

    def load_all(self) -> dict[str, Any]:
        """Load every entry, reporting broken ones by the DEZERO_PLUGIN_ERRORS policy; name -> object.

        Conflicting names are reported and listed under their qualified ``dist:name``.
        """
        loaded: dict[str, Any] = {}
        for name, entries in self._scan().items():
            for entry in entries:
                key = name if len(entries) == 1 else entry.qualified_name
                try:
                    loaded[key] = entry.load()
                except PluginLoadError as exc:
                    report_broken(exc)
        return loaded

    def register(self, name: str, obj: Any, dist: str = "__main__", version: str = "0") -> None:
        """Register ``obj`` under ``name`` in this process, as if an entry point declared it."""
        entry = Entry(self.group, name, f"<in-process {obj!r}>", dist, version, _loaded=obj)
        entries = self._scan().setdefault(name, [])
        entries[:] = [e for e in entries if e.dist != dist] + [entry]

    def unregister(self, name: str, dist: str = "__main__") -> None:
        """Remove an in-process registration made with :meth:`register`."""
        entries = self._scan().get(name, [])
        entries[:] = [e for e in entries if e.dist != dist]
        if not entries:
            self._scan().pop(name, None)

    def _find(self, name: str, raise_unknown: bool) -> Entry | None:
        by_name = self._scan()
        dist = None
        if ":" in name:
            dist, name = name.split(":", 1)
        entries = by_name.get(name, [])
        if dist is not None:
            entries = [e for e in entries if e.dist == _canonical(dist)]
        if len(entries) == 1:
            return entries[0]
        if len(entries) > 1:
            claimants = ", ".join(f"{e.dist} {e.version} ({e.value})" for e in entries)
            raise PluginConflictError(
                f"{name!r} in {self.group} is registered by several distributions: {claimants}. "
                f"Ask for one explicitly as {' or '.join(repr(e.qualified_name) for e in entries)}, "
                f"or disable one with {DISABLED_ENV}=<distribution>."
            )
        if not raise_unknown:
            return None
        close = difflib.get_close_matches(name, list(by_name), n=5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        where = f" from distribution {dist}" if dist else ""
        installed = ", ".join(sorted(by_name)) or "none"
        raise UnknownNameError(
            f"no {self.group.split('.')[-1]} named {name!r}{where} is installed.{hint} "
            f"Installed: {installed}."
        )


def report_broken(exc: PluginLoadError) -> None:
    """Report a plugin that failed to load according to DEZERO_PLUGIN_ERRORS."""
    policy = error_policy()
    if policy == "raise":
        raise exc
    if policy == "warn":
        warnings.warn(str(exc), RuntimeWarning, stacklevel=3)


def _scan_group(group: str) -> dict[str, list[Entry]]:
    disabled = disabled_plugins()
    by_name: dict[str, list[Entry]] = {}
    for ep in _metadata.entry_points(group=group):
        dist_meta = getattr(ep, "dist", None)
        dist = _canonical(dist_meta.metadata["Name"]) if dist_meta is not None else "unknown"
        version = dist_meta.version if dist_meta is not None else "?"
        if dist in disabled or f"{dist}:{ep.name}" in disabled:
            continue
        entries = by_name.setdefault(ep.name, [])
        if any(e.dist == dist for e in entries):
            continue  # the same distribution seen twice on sys.path (editable + regular install)
        entries.append(Entry(group, ep.name, ep.value, dist, version, _entry_point=ep))
    return by_name


_REGISTRIES: dict[str, Registry] = {}


def registry(group: str) -> Registry:
    """The process-wide registry of ``group`` (``"functions"`` is short for ``"dezero.functions"``)."""
    if "." not in group:
        group = f"dezero.{group}"
    if group not in _REGISTRIES:
        if group not in GROUPS and not group.startswith("dezero."):
            raise ValueError(f"unknown entry-point group {group!r}; known: {', '.join(GROUPS)}")
        _REGISTRIES[group] = Registry(group)
    return _REGISTRIES[group]
