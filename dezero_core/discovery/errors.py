"""Errors and warnings of discovering and loading plugins."""
from __future__ import annotations


class PluginError(Exception):
    """Base class of every discovery error."""


class UnknownNameError(PluginError, KeyError, AttributeError):
    """A name that no installed (and enabled) distribution registers in the group.

    It subclasses ``KeyError`` and ``AttributeError`` so that registry lookups and module
    ``__getattr__`` both raise what Python expects of them.
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class PluginConflictError(PluginError):
    """Two distributions register the same name in one group."""


class PluginConfigError(PluginError, ValueError):
    """A plugin setting in the environment (``DEZERO_DISABLED_PLUGINS``) names what is not installed."""


class PluginLoadError(PluginError, ImportError):
    """A registered entry point failed to import (an ``ImportError``, as for any failed import)."""


class PluginWarning(RuntimeWarning):
    """A plugin was skipped because it is broken (``DEZERO_PLUGIN_ERRORS=warn``, the default).

    Silence it with ``DEZERO_PLUGIN_ERRORS=ignore``, or disable the plugin with
    ``DEZERO_DISABLED_PLUGINS=<distribution>``.
    """
