"""The pluggy plugin manager: modules of the ``dezero.plugins`` group, isolated when broken."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pluggy
import pytest

import dezero_core
from dezero_core import get_config, using_config
from dezero_core.discovery import PluginLoadError, PluginWarning, registry
from dezero_core.hookspecs import hookimpl
from dezero_core.plugin_manager import get_plugin_manager, load_plugin_manager

PLUGINS = "dezero.plugins"
_unique = itertools.count()


def hooks_module(flag: str, extra: str = "") -> str:
    """Source of a hook module that declares ``flag`` and records every epoch end."""
    return (f"from dezero_core import hookimpl\n"
            f"EPOCHS = []\n"
            f"@hookimpl\n"
            f"def dezero_configure(register_flag):\n"
            f"    register_flag({flag!r}, 'off')\n"
            f"@hookimpl\n"
            f"def dezero_epoch_end(epoch, record):\n"
            f"    EPOCHS.append((epoch, record['loss']))\n" + extra)


def fresh_flag() -> str:
    """A flag name no other test declared (flags live for the whole process)."""
    return f"test_flag_{next(_unique)}"


def test_dezero_core_hookimpl_is_the_pluggy_marker_of_the_dezero_project() -> None:
    assert dezero_core.hookimpl is hookimpl and "hookimpl" in dir(dezero_core)
    assert isinstance(hookimpl, pluggy.HookimplMarker) and hookimpl.project_name == "dezero"


def test_a_plugin_module_is_registered_under_its_qualified_name_and_its_hooks_run(install) -> None:
    install("dezero-hooks", "1.0", {PLUGINS: {"hooks": "good_hooks"}}, {"good_hooks": hooks_module(fresh_flag())})
    pm = load_plugin_manager(registry(PLUGINS).entries())
    plugin = pm.get_plugin("dezero-hooks:hooks")
    assert plugin is not None
    pm.hook.dezero_epoch_end(trainer=None, epoch=3, record={"loss": 0.25})
    assert plugin.EPOCHS == [(3, 0.25)]


def test_dezero_configure_declares_flags_that_using_config_accepts(install) -> None:
    flag = fresh_flag()
    install("dezero-hooks", "1.0", {PLUGINS: {"hooks": "good_hooks"}}, {"good_hooks": hooks_module(flag)})
    load_plugin_manager()
    assert get_config(flag) == "off"
    with using_config(flag, "on"):
        assert get_config(flag) == "on"


def test_dezero_configure_runs_once_per_plugin_even_if_a_manager_is_built_again(install) -> None:
    install("dezero-hooks", "1.0", {PLUGINS: {"hooks": "good_hooks"}}, {"good_hooks": hooks_module(fresh_flag())})
    load_plugin_manager()
    pm = load_plugin_manager()  # a second register_flag of the same name would raise
    assert pm.get_plugin("dezero-hooks:hooks") is not None


def test_a_plugin_module_that_fails_to_import_is_reported_and_the_others_work(install, policy) -> None:
    install("dezero-hooks", "1.0", {PLUGINS: {"hooks": "good_hooks"}}, {"good_hooks": hooks_module(fresh_flag())})
    install("dezero-bad-hooks", "0.9", {PLUGINS: {"bad": "bad_hooks"}}, {"bad_hooks": "1 / 0\n"})
    policy("warn")
    with pytest.warns(PluginWarning, match=r"dezero-bad-hooks 0.9 failed to load: ZeroDivisionError.*"
                                           r"DEZERO_DISABLED_PLUGINS=dezero-bad-hooks"):
        pm = load_plugin_manager()
    names = [name for name, _ in pm.list_name_plugin()]
    assert "dezero-hooks:hooks" in names and "dezero-bad-hooks:bad" not in names


def test_a_misspelt_hook_is_reported_as_a_broken_plugin(install, policy) -> None:
    source = "from dezero_core import hookimpl\n@hookimpl\ndef dezero_epoch_ends(epoch):\n    pass\n"
    install("dezero-typo-hooks", "1.0", {PLUGINS: {"typo": "typo_hooks"}}, {"typo_hooks": source})
    policy("warn")
    with pytest.warns(PluginWarning, match="unknown hook 'dezero_epoch_ends'"):
        pm = load_plugin_manager()
    assert pm.get_plugin("dezero-typo-hooks:typo") is None
    assert registry(PLUGINS).entry("typo").status.startswith("failed: PluginValidationError")


def test_a_plugin_whose_configure_fails_is_left_out_entirely(install, policy) -> None:
    source = ("from dezero_core import hookimpl\n@hookimpl\ndef dezero_configure(register_flag):\n"
              "    raise RuntimeError('cannot read ~/.dezero-hooks.toml')\n"
              "@hookimpl\ndef dezero_epoch_end(epoch):\n    raise AssertionError('must not run')\n")
    install("dezero-bad-config", "1.0", {PLUGINS: {"cfg": "bad_config_hooks"}}, {"bad_config_hooks": source})
    policy("warn")
    with pytest.warns(PluginWarning, match="dezero-bad-config 1.0 failed to load: RuntimeError: cannot read"):
        pm = load_plugin_manager()
    pm.hook.dezero_epoch_end(trainer=None, epoch=1, record={})  # the broken plugin's hook is gone


def test_raise_policy_makes_a_broken_hook_module_fatal(install, policy) -> None:
    install("dezero-bad-hooks", "0.9", {PLUGINS: {"bad": "bad_hooks"}}, {"bad_hooks": "1 / 0\n"})
    policy("raise")
    with pytest.raises(PluginLoadError, match="dezero-bad-hooks 0.9"):
        load_plugin_manager()


def test_get_plugin_manager_builds_one_manager_for_the_process() -> None:
    pm = get_plugin_manager()
    assert get_plugin_manager() is pm
    assert pm.project_name == "dezero" and pm.hook.dezero_fit_start.has_spec()


def test_a_plugin_flag_works_before_anything_loaded_the_plugins(install) -> None:
    flag = fresh_flag()
    site = install("dezero-hooks", "1.0", {PLUGINS: {"hooks": "good_hooks"}}, {"good_hooks": hooks_module(flag)})
    code = (f"from dezero_core import get_config, using_config\n"
            f"with using_config({flag!r}, 'on'):\n    print(get_config({flag!r}))\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout == "on\n"
