"""Plugin names as module attributes: ``dezero_core.functions.NAME`` for a plugin function ``NAME``.

A package keeps its built-ins as plain attributes (IDEs and type checkers see them) and ends with::

    __getattr__, __dir__ = lazy_module_attributes("dezero.functions", __all__)

Python calls ``__getattr__`` only for names the module lacks, so built-ins cost nothing extra and a
plugin's name is imported on first access.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable


def lazy_module_attributes(group: str, static_names: Iterable[str]
                           ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a module whose missing names come from ``group``.

    An unknown name raises :class:`~dezero_core.discovery.UnknownNameError` (an ``AttributeError``)
    listing close matches; a plugin that fails to import raises
    :class:`~dezero_core.discovery.PluginLoadError` (an ``ImportError``) naming its distribution.
    """
    static = frozenset(static_names)

    def __getattr__(name: str) -> Any:
        if name.startswith("_"):  # dunders and private probes (copy, pickle, pytest) never plugins
            raise AttributeError(name)
        from dezero_core.discovery.registry import registry

        return registry(group).get(name)

    def __dir__() -> list[str]:
        from dezero_core.discovery.registry import registry

        return sorted(static | set(registry(group).names()))

    return __getattr__, __dir__
