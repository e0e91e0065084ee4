"""Registered names as module attributes: ``dezero_core.functions.relu`` is ``registry("dezero.functions").get("relu")``.

A package of registered names ends with::

    __getattr__, __dir__ = lazy_module_attributes("dezero.functions", namespace=globals())

and imports its built-ins only under ``typing.TYPE_CHECKING`` (what IDEs and type checkers read). At
run time every name, built-in or plugin, comes from the registry on first access, so the attribute
and the registry give one answer: a name that two distributions claim raises
:class:`~dezero_core.discovery.PluginConflictError` on both paths, and a built-in switched off with
``DEZERO_DISABLED_PLUGINS=dezero-core:NAME`` is gone from both. The object found is then stored in the
module (the next access is a plain attribute read) until the group's registry changes
(:meth:`~dezero_core.discovery.Registry.refresh`, ``register``, ``unregister``).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

#: group -> (module namespace, names stored in it) of every module whose attributes come from it
_STORED: dict[str, list[tuple[dict[str, Any], set[str]]]] = {}
_LOCK = threading.Lock()


def lazy_module_attributes(group: str, static_names: Iterable[str] = (), namespace: dict[str, Any] | None = None
                           ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a module whose missing names come from ``group``.

    ``static_names`` are the module's own attributes (listed by ``__dir__``). With ``namespace`` (the
    module's ``globals()``), a name found is stored there, and ``__all__`` lists the names the
    module's own package registers (its built-ins) and ``static_names``. An unknown name raises
    :class:`~dezero_core.discovery.UnknownNameError` (an ``AttributeError``) listing close matches; a
    plugin that fails to import raises :class:`~dezero_core.discovery.PluginLoadError` (an
    ``ImportError``) naming its distribution.
    """
    static = frozenset(static_names)
    stored: set[str] = set()
    if namespace is not None:
        with _LOCK:
            _STORED.setdefault(group, []).append((namespace, stored))

    def __getattr__(name: str) -> Any:
        if name == "__all__" and namespace is not None:
            return sorted(static | set(own_names(group, namespace["__name__"])))
        if name.startswith("_"):  # dunders and private probes (copy, pickle, pytest) never plugins
            raise AttributeError(name)
        from dezero_core.discovery.registry import registry

        obj = registry(group).get(name)
        if namespace is not None:
            with _LOCK:
                namespace[name] = obj
                stored.add(name)
        return obj

    def __dir__() -> list[str]:
        from dezero_core.discovery.registry import registry

        return sorted(static | set(registry(group).names()))

    return __getattr__, __dir__


def own_names(group: str, package: str) -> list[str]:
    """The names of ``group`` whose objects live in ``package`` (its built-ins), sorted."""
    from dezero_core.discovery.registry import registry

    prefix = package + "."
    return sorted(e.name for e in registry(group).entries() if e.value.startswith(prefix))


def forget_stored_attributes(group: str) -> None:
    """Drop the attributes stored from ``group``: the registry changed, the next access asks it again."""
    with _LOCK:
        for namespace, stored in _STORED.get(group, ()):
            for name in stored:
                namespace.pop(name, None)
            stored.clear()
