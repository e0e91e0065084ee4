"""The pluggy plugin manager: behaviour hooks from the modules of the ``dezero.plugins`` group.

Nothing here runs at ``import dezero_core``: the first :func:`get_plugin_manager` call imports the
plugin modules, registers them, and calls each one's ``dezero_configure`` hook. A module that fails
to import, to register (say, a misspelt hook name) or to configure is left out and reported by the
``DEZERO_PLUGIN_ERRORS`` policy, naming its distribution and how to disable it; the others work.
"""
from __future__ import annotations

import threading
from typing import Any, Iterable

import pluggy

from dezero_core import config, hookspecs
from dezero_core.discovery.errors import PluginLoadError
from dezero_core.discovery.registry import Entry, registry, report
from dezero_core.hookspecs import hookimpl

GROUP = "dezero.plugins"

__all__ = ["GROUP", "get_plugin_manager", "hookimpl", "load_plugin_manager"]

_MANAGER: pluggy.PluginManager | None = None
_LOCK = threading.Lock()
# id -> plugin, for every plugin whose dezero_configure ran (the reference keeps the id unique):
# a flag is declared once per process, even if a manager is built again.
_CONFIGURED: dict[int, Any] = {}


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager; the first call loads every ``dezero.plugins`` module.

    Call hooks through it: ``get_plugin_manager().hook.dezero_epoch_end(trainer=t, epoch=1, record=r)``.
    Under ``DEZERO_PLUGIN_ERRORS=raise`` a broken plugin makes every call raise.
    """
    global _MANAGER
    if _MANAGER is None:
        with _LOCK:
            if _MANAGER is None:
                _MANAGER = load_plugin_manager()
    return _MANAGER


def load_plugin_manager(entries: Iterable[Entry] | None = None) -> pluggy.PluginManager:
    """A new manager with the hookspecs and ``entries`` (default: every enabled ``dezero.plugins``
    entry) registered under their qualified ``dist:name``; :func:`get_plugin_manager` keeps one."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for entry in registry(GROUP).entries() if entries is None else entries:
        try:
            _register(pm, entry)
        except PluginLoadError as exc:
            report(exc)
    return pm


def _register(pm: pluggy.PluginManager, entry: Entry) -> None:
    plugin = entry.load()
    try:
        pm.register(plugin, name=entry.qualified_name)
        pm.check_pending()  # a hook name that no hookspec declares is a typo: say so now
        if id(plugin) not in _CONFIGURED:
            others = [p for p in pm.get_plugins() if p is not plugin]
            pm.subset_hook_caller("dezero_configure", remove_plugins=others)(
                register_flag=config.register_flag)
            _CONFIGURED[id(plugin)] = plugin
    except Exception as exc:  # third-party code: whatever it raises, the host carries on
        if pm.get_plugin(entry.qualified_name) is plugin:  # registered, maybe partly: undo it
            pm.unregister(name=entry.qualified_name)
        raise entry.fail(exc) from exc
