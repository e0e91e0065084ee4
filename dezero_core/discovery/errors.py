"""Errors raised while discovering and loading plugins."""
from __future__ import annotations


class PluginError(Exception):
    """Base class of every discovery error."""


class UnknownNameError(PluginError, KeyError, AttributeError):
    """A name that no installed distribution registers in the group.

    It subclasses ``KeyError`` and ``AttributeError`` so that registry lookups and module
    ``__getattr__`` both raise what Python expects of them.
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class PluginConflictError(PluginError):
    """Two distributions register the same name in one group."""


class PluginLoadError(PluginError):
    """A registered entry point failed to import."""
