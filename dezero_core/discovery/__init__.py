"""Discovery of everything pluggable through entry points, resolved lazily, per name.

Listing reads installed metadata only; an object is imported the first time it is asked for.
"""
from dezero_core.discovery.errors import (
    PluginConfigError,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    PluginWarning,
    UnknownNameError,
)
from dezero_core.discovery.registry import GROUPS, Entry, Registry, refresh_all, registry

__all__ = [
    "GROUPS",
    "Entry",
    "PluginConfigError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "PluginWarning",
    "Registry",
    "UnknownNameError",
    "refresh_all",
    "registry",
]
