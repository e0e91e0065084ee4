"""A package attribute and the registry are one answer: built-ins listed once (dezero-core's entry
points) and checked both ways, conflicts loud on both paths, disabled built-ins gone from both, and
the lazy namespaces of datasets and extensions."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import functions as F
from dezero_core.discovery import PluginConflictError, UnknownNameError, registry

#: package -> its entry-point group (the packages whose names come from a group)
PACKAGES = {
    "dezero_core.functions": "dezero.functions",
    "dezero_core.layers": "dezero.layers",
    "dezero_core.optimizers": "dezero.optimizers",
    "dezero_core.models": "dezero.models",
    "dezero_core.training.extensions": "dezero.extensions",
}


def type_checking_imports(package: str) -> dict[str, str]:
    """name -> ``module:name`` of the imports under ``if TYPE_CHECKING:`` in ``package``'s __init__."""
    path = Path(importlib.import_module(package).__file__)
    found = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), f"{path}: only imports belong under TYPE_CHECKING"
                found.update({a.asname or a.name: f"{stmt.module}:{a.name}" for a in stmt.names})
    return found


# -- one list, checked both ways ---------------------------------------------------------------------
@pytest.mark.parametrize("package,group", PACKAGES.items())
def test_every_builtin_entry_point_is_the_packages_attribute(package: str, group: str) -> None:
    module = importlib.import_module(package)
    builtins = [e for e in registry(group).entries() if e.dist == "dezero-core"]
    assert builtins, f"dezero-core registers nothing in {group}"
    wrong = [e.name for e in builtins if getattr(module, e.name) is not e.load()]
    assert not wrong, f"{package} attributes differ from their entry points: {wrong}"
    assert sorted(e.name for e in builtins) == [n for n in module.__all__ if n in {e.name for e in builtins}]


@pytest.mark.parametrize("package,group", PACKAGES.items())
def test_what_type_checkers_see_is_exactly_the_builtin_entry_points(package: str, group: str) -> None:
    declared = type_checking_imports(package)
    registered = {e.name: e.value for e in registry(group).entries() if e.dist == "dezero-core"}
    assert declared == registered, (
        f"{package}'s TYPE_CHECKING imports and dezero-core's {group} entry points (pyproject.toml) "
        f"differ: only imported {sorted(declared.keys() - registered.keys())}, only registered "
        f"{sorted(registered.keys() - declared.keys())}, different targets "
        f"{sorted(n for n in declared.keys() & registered.keys() if declared[n] != registered[n])}")


# -- conflicts are loud on both paths ----------------------------------------------------------------
def claim(install, group: str, name: str, dist: str = "dezero-rival") -> None:
    """A distribution ``dist`` that registers ``name`` in ``group`` (an object that says who it is)."""
    module = f"{dist.replace('-', '_')}_mod"
    install(dist, "1.0", {group: {name: f"{module}:obj"}}, {module: f"def obj(*args):\n    return {dist!r}\n"})


def test_a_plugin_claiming_a_builtin_function_makes_attribute_and_registry_raise(install) -> None:
    F.relu  # noqa: B018  (stored in the module before the plugin arrives)
    claim(install, "dezero.functions", "relu")
    with pytest.raises(PluginConflictError, match="'relu' in dezero.functions .*dezero-core.*dezero-rival"):
        registry("dezero.functions").get("relu")
    with pytest.raises(PluginConflictError, match="dezero-core.*dezero-rival"):
        F.relu  # noqa: B018
    with pytest.raises(PluginConflictError):
        from dezero_core.functions import relu  # noqa: F401
    assert registry("dezero.functions").get("dezero-rival:relu")() == "dezero-rival"


def test_a_plugin_claiming_a_builtin_layer_makes_the_attribute_raise(install) -> None:
    claim(install, "dezero.layers", "Linear")
    with pytest.raises(PluginConflictError, match="'Linear' in dezero.layers"):
        dz.layers.Linear  # noqa: B018


def test_an_in_process_registration_of_a_builtin_name_conflicts_until_it_goes() -> None:
    reg = registry("dezero.functions")
    F.exp  # noqa: B018
    reg.register("exp", lambda x: "mine")
    try:
        with pytest.raises(PluginConflictError, match="'exp'.*__main__"):
            F.exp  # noqa: B018
    finally:
        reg.unregister("exp")
    assert F.exp is reg.get("exp") is reg.get("dezero-core:exp")


def test_operators_call_the_builtins_whatever_plugins_claim(install) -> None:
    claim(install, "dezero.functions", "add")
    x = dz.Variable(np.array([1.0, 2.0]))
    np.testing.assert_array_equal((x + x).data, [2.0, 4.0])


# -- a disabled built-in is gone from both -------------------------------------------------------------
def test_a_disabled_builtin_is_no_attribute_either(disable) -> None:
    F.relu  # noqa: B018
    disable("dezero-core:relu")
    with pytest.raises(UnknownNameError, match="dezero-core:relu provides it but is disabled"):
        registry("dezero.functions").get("relu")
    with pytest.raises(AttributeError, match="dezero-core:relu provides it but is disabled"):
        F.relu  # noqa: B018
    assert "relu" not in F.__all__ and "relu" not in dir(F)


def test_with_the_builtin_disabled_the_plugins_name_is_the_attribute(install, disable) -> None:
    claim(install, "dezero.functions", "relu")
    disable("dezero-core:relu")
    assert F.relu() == registry("dezero.functions").get("relu")() == "dezero-rival"


# -- datasets and extensions ---------------------------------------------------------------------------
def test_datasets_are_a_lazy_namespace_of_the_registry() -> None:
    dezero_datasets = pytest.importorskip("dezero_datasets", reason="needs dezero-datasets installed")
    assert dz.datasets.MNIST is dezero_datasets.MNIST
    assert dz.datasets.Digits is registry("dezero.datasets").get("Digits")
    assert {"MNIST", "Digits", "CIFAR10"} <= set(dir(dz.datasets))


def test_a_third_party_dataset_is_a_datasets_attribute_by_its_entry_point_name(install) -> None:
    install("dezero-moons", "1.0", {"dezero.datasets": {"Moons": "moons_mod:TwoMoons"}},
            {"moons_mod": "class TwoMoons:\n    pass\n"})
    assert dz.datasets.Moons.__name__ == "TwoMoons"
    with pytest.raises(AttributeError, match="no dataset named 'Moon'.*Did you mean: Moons"):
        dz.datasets.Moon  # noqa: B018


def test_a_plugin_extension_is_an_attribute_like_the_builtins(install) -> None:
    from dezero_core.training import extensions

    install("dezero-gradlog", "1.0", {"dezero.extensions": {"GradLogger": "gradlog_mod:GradLogger"}},
            {"gradlog_mod": "class GradLogger:\n    pass\n"})
    assert extensions.GradLogger is registry("dezero.extensions").get("GradLogger")
    assert extensions.ProgressBar.__module__ == "dezero_core.training.extensions.progress"
    assert {"GradLogger", "ProgressBar"} <= set(dir(extensions))
