"""The entry-point registry: built-ins through dezero-core's own entry points, lazy loading,
conflicts, disabled plugins, unknown names, broken plugins and the DEZERO_PLUGIN_ERRORS policy."""
from __future__ import annotations

import importlib
import sys
import warnings

import pytest

import dezero_core
from dezero_core import functions as F
from dezero_core.discovery import (
    PluginConfigError,
    PluginConflictError,
    PluginLoadError,
    PluginWarning,
    UnknownNameError,
    registry,
)
from dezero_core.discovery.registry import error_policy

FUNCTIONS = "dezero.functions"
BROKEN = {
    "dist": "dezero-broken-plugin",
    "version": "0.3",
    "entry_points": {FUNCTIONS: {"broken_fn": "broken_plugin_mod:broken_fn", "fine_fn": "fine_mod:fine_fn"}},
    "modules": {"broken_plugin_mod": "raise RuntimeError('the plugin lost its config file')\n",
                "fine_mod": "def fine_fn(x):\n    return 'fine'\n"},
}


def twins(install):
    """Two distributions that both register the function ``twin``."""
    for dist, version in (("dist-a", "1.0"), ("dist-b", "2.0")):
        module = f"{dist.replace('-', '_')}_mod"
        install(dist, version, {FUNCTIONS: {"twin": f"{module}:twin"}},
                {module: f"def twin():\n    return {dist!r}\n"})


# -- built-ins -----------------------------------------------------------------------------------
def test_builtin_functions_come_from_dezero_cores_own_entry_points() -> None:
    entry = registry(FUNCTIONS).entry("sin")
    assert (entry.dist, entry.value) == ("dezero-core", "dezero_core.functions.elementwise:sin")
    assert entry.version == dezero_core.__version__
    assert registry(FUNCTIONS).get("sin") is F.sin


def test_short_group_names_mean_the_dezero_group() -> None:
    assert registry("functions") is registry(FUNCTIONS)


def test_a_group_outside_dezero_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown entry-point group 'flake8.extension'"):
        registry("flake8.extension")


# -- lazy loading --------------------------------------------------------------------------------
def test_listing_reads_metadata_only(install) -> None:
    install("dezero-lazy", "1.0", {FUNCTIONS: {"lazy_fn": "lazy_mod:lazy_fn"}},
            {"lazy_mod": "def lazy_fn():\n    return 1\n"})
    reg = registry(FUNCTIONS)
    assert "lazy_fn" in reg.names() and "lazy_fn" in reg
    entry = reg.entry("lazy_fn")
    assert (entry.dist, entry.version, entry.status) == ("dezero-lazy", "1.0", "not loaded")
    assert "lazy_mod" not in sys.modules
    assert reg.get("lazy_fn")() == 1
    assert "lazy_mod" in sys.modules and entry.status == "loaded"


def test_get_imports_only_the_name_asked_for(install) -> None:
    install("dezero-pair", "1.0", {FUNCTIONS: {"one": "pair_one:one", "two": "pair_two:two"}},
            {"pair_one": "def one():\n    return 1\n", "pair_two": "def two():\n    return 2\n"})
    registry(FUNCTIONS).get("one")
    assert "pair_one" in sys.modules and "pair_two" not in sys.modules


def test_a_qualified_name_loads_the_entry_of_that_distribution(install) -> None:
    install("dezero-lazy", "1.0", {FUNCTIONS: {"lazy_fn": "lazy_mod:lazy_fn"}},
            {"lazy_mod": "def lazy_fn():\n    return 1\n"})
    assert registry(FUNCTIONS).get("dezero-lazy:lazy_fn")() == 1
    assert registry(FUNCTIONS).get("Dezero_Lazy:lazy_fn")() == 1  # any spelling of the name


# -- unknown names -------------------------------------------------------------------------------
def test_unknown_name_lists_close_matches_and_installed_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        registry(FUNCTIONS).get("tanhh")
    message = str(info.value)
    assert "no function named 'tanhh' is installed" in message
    assert "Did you mean: tanh" in message
    assert "Installed: " in message and "sin" in message.split("Installed: ")[1]


def test_unknown_name_is_a_key_error_and_an_attribute_error() -> None:
    with pytest.raises(KeyError):
        registry(FUNCTIONS).get("no_such_function")
    with pytest.raises(AttributeError, match="Did you mean: sin"):
        F.sine


def test_unknown_name_from_a_named_distribution_says_which(install) -> None:
    twins(install)
    with pytest.raises(UnknownNameError, match="no function named 'twin' from distribution dist-c"):
        registry(FUNCTIONS).get("dist-c:twin")


# -- conflicts -----------------------------------------------------------------------------------
def test_two_distributions_claiming_one_name_is_an_error_naming_both(install) -> None:
    twins(install)
    with pytest.raises(PluginConflictError) as info:
        registry(FUNCTIONS).get("twin")
    message = str(info.value)
    assert "dist-a 1.0 (dist_a_mod:twin)" in message and "dist-b 2.0 (dist_b_mod:twin)" in message
    assert "'dist-a:twin' or 'dist-b:twin'" in message


def test_dist_colon_name_picks_one_claimant(install) -> None:
    twins(install)
    assert registry(FUNCTIONS).get("dist-a:twin")() == "dist-a"
    assert registry(FUNCTIONS).get("dist-b:twin")() == "dist-b"


def test_a_conflict_is_reported_by_walks_and_both_load_under_qualified_names(install, policy) -> None:
    twins(install)
    policy("warn")
    with pytest.warns(PluginWarning, match="'twin' in dezero.functions is registered by several"):
        loaded = registry(FUNCTIONS).load_all()
    assert loaded["dist-a:twin"]() == "dist-a" and loaded["dist-b:twin"]() == "dist-b"
    assert "twin" not in loaded


def test_conflicts_lists_every_claimant(install) -> None:
    twins(install)
    assert [e.dist for e in registry(FUNCTIONS).conflicts()["twin"]] == ["dist-a", "dist-b"]


# -- disabled plugins ----------------------------------------------------------------------------
def test_a_disabled_distribution_is_not_installed_as_far_as_lookups_go(install, disable) -> None:
    twins(install)
    disable("dist-b")
    assert registry(FUNCTIONS).get("twin")() == "dist-a"  # no conflict left
    assert [e.status for e in registry(FUNCTIONS).entries(include_disabled=True) if e.name == "twin"] == [
        "loaded", "disabled"]


def test_one_entry_can_be_disabled_by_dist_colon_name(install, disable) -> None:
    install("dezero-pair", "1.0", {FUNCTIONS: {"one": "pair_one:one", "two": "pair_two:two"}})
    disable("dezero-pair:two")
    assert "one" in registry(FUNCTIONS) and "two" not in registry(FUNCTIONS)


def test_a_space_separated_list_disables_each_name(install, disable) -> None:
    install(**BROKEN)
    twins(install)
    disable("dezero-broken-plugin  dist-a, dist-b:twin")
    names = registry(FUNCTIONS).names()
    assert "fine_fn" not in names and "twin" not in names


@pytest.mark.parametrize("value,match", [
    ("dezero-broken-plugn", r"names what no installed distribution provides: dezero-broken-plugn \(did "
                            r"you mean dezero-broken-plugin[,?]"),
    ("dezero-broken-plugin:fine_fun", r"dezero-broken-plugin:fine_fun \(did you mean dezero-broken-plugin:fine_fn"),
    ("dezero-broken-plugin,no-such-dist", r"provides: no-such-dist\. Give distribution names"),
])
def test_a_disabled_name_that_matches_nothing_installed_is_refused(install, disable, value, match) -> None:
    install(**BROKEN)
    disable(value)
    with pytest.raises(PluginConfigError, match=match) as info:
        registry(FUNCTIONS).names()
    assert isinstance(info.value, ValueError) and "DEZERO_DISABLED_PLUGINS=" in str(info.value)


def test_asking_for_a_disabled_name_says_it_is_disabled(install, disable) -> None:
    install(**BROKEN)
    disable("dezero-broken-plugin")
    with pytest.raises(UnknownNameError, match="dezero-broken-plugin:broken_fn provides it but is "
                                               "disabled by DEZERO_DISABLED_PLUGINS=dezero-broken-plugin"):
        registry(FUNCTIONS).get("broken_fn")


def test_a_disabled_broken_plugin_is_never_imported(install, disable, policy) -> None:
    install(**BROKEN)
    disable("dezero-broken-plugin")
    policy("raise")
    registry(FUNCTIONS).load_all()  # nothing to report: it is switched off


# -- broken plugins ------------------------------------------------------------------------------
def test_a_broken_plugin_names_distribution_version_error_and_how_to_disable(install) -> None:
    install(**BROKEN)
    with pytest.raises(PluginLoadError) as info:
        registry(FUNCTIONS).get("broken_fn")
    message = str(info.value)
    assert "'broken_fn' (dezero.functions) from distribution dezero-broken-plugin 0.3" in message
    assert "RuntimeError: the plugin lost its config file" in message
    assert "DEZERO_DISABLED_PLUGINS=dezero-broken-plugin" in message
    assert isinstance(info.value, ImportError)


def test_a_walk_warns_about_a_broken_plugin_and_keeps_the_others(install, policy) -> None:
    install(**BROKEN)
    policy("warn")
    with pytest.warns(PluginWarning) as caught:
        loaded = registry(FUNCTIONS).load_all()
    assert "broken_fn" not in loaded
    assert loaded["fine_fn"](None) == "fine" and loaded["sin"] is F.sin
    message = str(caught[0].message)
    assert "dezero-broken-plugin 0.3" in message and "lost its config file" in message
    assert "DEZERO_DISABLED_PLUGINS=dezero-broken-plugin" in message


def test_warn_is_the_default_policy() -> None:
    assert error_policy() == "warn"


def test_raise_policy_makes_a_broken_plugin_fatal(install, policy) -> None:
    install(**BROKEN)
    policy("raise")
    with pytest.raises(PluginLoadError, match="dezero-broken-plugin 0.3"):
        registry(FUNCTIONS).load_all()


def test_ignore_policy_is_silent(install, policy) -> None:
    install(**BROKEN)
    policy("ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = registry(FUNCTIONS).load_all()
    assert "broken_fn" not in loaded and "fine_fn" in loaded


def test_an_unknown_policy_is_an_error_listing_the_choices(policy) -> None:
    policy("shout")
    with pytest.raises(ValueError, match="DEZERO_PLUGIN_ERRORS='shout' is not one of warn, raise, ignore"):
        error_policy()


def test_the_host_keeps_working_next_to_a_broken_plugin(install, policy) -> None:
    install(**BROKEN)
    policy("warn")
    with pytest.warns(PluginWarning):
        registry(FUNCTIONS).load_all()
    np = pytest.importorskip("numpy")
    x = dezero_core.Variable(np.array(0.0))
    F.sin(x).backward()
    assert float(x.grad.data) == 1.0
    assert F.fine_fn(None) == "fine"


def test_a_failed_import_is_remembered_not_retried(install, tmp_path) -> None:
    attempts = tmp_path / "attempts"
    install("dezero-flaky", "1.0", {FUNCTIONS: {"flaky": "flaky_mod:flaky"}},
            {"flaky_mod": f"open({str(attempts)!r}, 'a').write('x')\nraise ImportError('no backend for flaky')\n"})
    for _ in range(3):
        with pytest.raises(PluginLoadError, match="no backend for flaky"):
            registry(FUNCTIONS).get("flaky")
    assert attempts.read_text() == "x"
    assert registry(FUNCTIONS).entry("flaky").status == "failed: ImportError: no backend for flaky"


def test_an_entry_naming_a_missing_attribute_is_a_broken_plugin(install) -> None:
    install("dezero-typo", "1.0", {FUNCTIONS: {"typo": "typo_mod:tpyo"}}, {"typo_mod": "def typo():\n    pass\n"})
    with pytest.raises(PluginLoadError, match="dezero-typo 1.0 failed to load: AttributeError"):
        registry(FUNCTIONS).get("typo")


# -- in-process registration ---------------------------------------------------------------------
def test_register_makes_a_name_available_until_unregistered() -> None:
    def double(x):
        return 2 * x

    reg = registry(FUNCTIONS)
    reg.register("double_it", double)
    try:
        assert reg.get("double_it") is double and reg.entry("double_it").dist == "__main__"
        reg.refresh()  # re-reading the metadata keeps in-process registrations
        assert reg.get("double_it") is double
    finally:
        reg.unregister("double_it")
    assert "double_it" not in reg


def test_refresh_sees_a_distribution_installed_while_running(install) -> None:
    site = install("dezero-late", "1.0")
    assert "late_fn" not in registry(FUNCTIONS)
    info = next(site.glob("dezero_late-1.0.dist-info"))
    (info / "entry_points.txt").write_text(f"[{FUNCTIONS}]\nlate_fn = math:sqrt\n")
    assert "late_fn" not in registry(FUNCTIONS)  # the scan is cached...
    registry(FUNCTIONS).refresh()
    assert registry(FUNCTIONS).get("late_fn") is importlib.import_module("math").sqrt  # ...until refreshed
