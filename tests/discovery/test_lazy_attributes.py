"""Plugin names as package attributes: ``lazy_module_attributes``."""
from __future__ import annotations

import types

import pytest

from dezero_core.discovery import PluginLoadError, registry
from dezero_core.discovery.lazy import lazy_module_attributes


def package(group: str = "dezero.functions") -> types.ModuleType:
    """A module with one static name and the lazy attributes of ``group``."""
    module = types.ModuleType("fake_package")
    module.static = "static"
    module.__getattr__, module.__dir__ = lazy_module_attributes(group, ["static"])
    return module


def test_a_registered_name_is_an_attribute() -> None:
    registry("dezero.functions").register("triple", lambda x: 3 * x)
    try:
        assert package().triple(2) == 6
    finally:
        registry("dezero.functions").unregister("triple")


def test_dir_lists_static_and_registered_names() -> None:
    names = dir(package())
    assert "static" in names and "sin" in names and names == sorted(names)


def test_private_names_are_never_looked_up_as_plugins() -> None:
    registry("dezero.functions").register("_hidden", object())
    try:
        with pytest.raises(AttributeError):
            package()._hidden
    finally:
        registry("dezero.functions").unregister("_hidden")


def test_hasattr_is_false_for_an_unknown_name() -> None:
    assert not hasattr(package(), "no_such_function")


def test_a_broken_plugin_attribute_raises_an_import_error_naming_it(install) -> None:
    install("dezero-broken-plugin", "0.3", {"dezero.functions": {"broken_fn": "broken_plugin_mod:f"}},
            {"broken_plugin_mod": "raise RuntimeError('boom')\n"})
    with pytest.raises(ImportError, match="dezero-broken-plugin 0.3 failed to load: RuntimeError: boom") as info:
        package().broken_fn
    assert isinstance(info.value, PluginLoadError)
