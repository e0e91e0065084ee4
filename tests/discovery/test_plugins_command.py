"""``dezero plugins`` / ``python -m dezero_core plugins``, and the ``dezero`` command itself."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dezero_core import cli
from dezero_core.discovery.listing import collect

FUNCTIONS = "dezero.functions"
BROKEN = {"dezero.functions": {"broken_fn": "broken_plugin_mod:broken_fn"}}
BROKEN_MODULES = {"broken_plugin_mod": "raise RuntimeError('the plugin lost its config file')\n"}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    rc = cli.main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_python_m_dezero_core_plugins_json_lists_every_group_with_dist_version_status() -> None:
    done = subprocess.run([sys.executable, "-m", "dezero_core", "plugins", "--json"],
                          capture_output=True, text=True, check=True)
    listing = json.loads(done.stdout)
    assert list(listing) == ["dezero.backends", "dezero.functions", "dezero.layers", "dezero.optimizers",
                             "dezero.models", "dezero.datasets", "dezero.trainers", "dezero.extensions",
                             "dezero.plugins", "dezero.onnx_converters", "dezero.commands", "dezero.passes"]
    rows = [row for group in listing.values() for row in group]
    assert rows and all({"name", "dist", "version", "status"} <= set(row) for row in rows)
    sin = next(row for row in listing[FUNCTIONS] if row["name"] == "sin")
    assert (sin["dist"], sin["status"]) == ("dezero-core", "loaded")
    numpy = next(row for row in listing["dezero.backends"] if row["name"] == "numpy")
    assert numpy["available"] is True and numpy["unavailable_reason"] is None


def test_the_dezero_console_script_runs_the_same_command() -> None:
    script = Path(sys.executable).with_name("dezero")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable} (dezero-core not pip-installed here)")
    done = subprocess.run([str(script), "plugins", "--group", "backends", "--no-load"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.startswith("dezero.backends (") and "dezero-numpy" in done.stdout


def test_group_filters_the_listing(capsys) -> None:
    rc, out, _ = run_cli(capsys, "plugins", "--json", "--group", "functions", "--group", "dezero.backends")
    assert rc == 0 and list(json.loads(out)) == [FUNCTIONS, "dezero.backends"]


def test_an_unknown_group_is_a_usage_error_listing_the_groups(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["plugins", "--group", "fonctions"])
    assert info.value.code == 2
    assert "unknown group 'fonctions'; choose from backends, functions," in capsys.readouterr().err


def test_no_load_reads_metadata_only(install, capsys) -> None:
    install("dezero-lazy", "1.0", {FUNCTIONS: {"lazy_fn": "lazy_mod:lazy_fn"}}, {"lazy_mod": "def lazy_fn(): pass\n"})
    rc, out, _ = run_cli(capsys, "plugins", "--no-load", "--json", "--group", "functions")
    row = next(r for r in json.loads(out)[FUNCTIONS] if r["name"] == "lazy_fn")
    assert rc == 0 and row["status"] == "not loaded" and "lazy_mod" not in sys.modules


def test_a_broken_plugin_is_listed_as_failed_and_the_listing_goes_on(install, policy, capsys) -> None:
    install("dezero-broken-plugin", "0.3", BROKEN, BROKEN_MODULES)
    policy("warn")
    rc, out, err = run_cli(capsys, "plugins", "--group", "functions")
    line = next(l for l in out.splitlines() if "broken_fn" in l)
    assert "dezero-broken-plugin 0.3" in line and "failed: RuntimeError: the plugin lost its config file" in line
    assert " sin " in out and rc == 0
    assert "1 problem(s)" in err and "broken_fn from dezero-broken-plugin 0.3" in err


def test_under_raise_policy_a_broken_plugin_makes_the_listing_exit_1(install, policy, capsys) -> None:
    install("dezero-broken-plugin", "0.3", BROKEN, BROKEN_MODULES)
    policy("raise")
    rc, out, _ = run_cli(capsys, "plugins", "--json")
    assert rc == 1 and json.loads(out)[FUNCTIONS]  # the whole listing still printed


def test_under_ignore_policy_no_problem_summary_is_printed(install, policy, capsys) -> None:
    install("dezero-broken-plugin", "0.3", BROKEN, BROKEN_MODULES)
    policy("ignore")
    rc, _, err = run_cli(capsys, "plugins", "--group", "functions")
    assert rc == 0 and err == ""


def test_a_conflict_is_marked_on_both_claimants(install, capsys) -> None:
    for dist in ("dist-a", "dist-b"):
        install(dist, "1.0", {FUNCTIONS: {"twin": "math:sqrt"}})
    rows = [r for r in collect([FUNCTIONS])[FUNCTIONS] if r["name"] == "twin"]
    assert [(r["dist"], r["conflicts_with"]) for r in rows] == [("dist-a", ["dist-b:twin"]), ("dist-b", ["dist-a:twin"])]
    rc, out, err = run_cli(capsys, "plugins", "--group", "functions")
    assert "[conflict: also dist-b:twin; ask for dist:name]" in out
    assert "functions: twin is claimed by dist-a:twin and dist-b:twin" in err


def test_a_disabled_name_matching_nothing_is_a_one_line_error(disable, capsys) -> None:
    disable("dezero-numpyy")
    code, out, err = run_cli(capsys, "plugins", "--no-load")
    assert code == 2 and out == ""
    assert err.startswith("dezero plugins: error: DEZERO_DISABLED_PLUGINS='dezero-numpyy' names what no "
                          "installed distribution provides: dezero-numpyy (did you mean dezero-numpy")


def test_a_disabled_plugin_is_listed_as_disabled(install, disable) -> None:
    install("dezero-broken-plugin", "0.3", BROKEN, BROKEN_MODULES)
    disable("dezero-broken-plugin")
    row = next(r for r in collect([FUNCTIONS])[FUNCTIONS] if r["name"] == "broken_fn")
    assert row["status"] == "disabled"


def test_an_unusable_backend_is_listed_with_the_reason(install) -> None:
    source = ("from dezero_core.backend.protocol import ArrayBackend\n"
              "class Missing(ArrayBackend):\n    name = 'missinglib'\n"
              "    def _load(self):\n        import no_such_array_library\n")
    install("dezero-missing", "1.0", {"dezero.backends": {"missinglib": "missing_backend:Missing"}},
            {"missing_backend": source})
    row = next(r for r in collect(["dezero.backends"])["dezero.backends"] if r["name"] == "missinglib")
    assert row["available"] is False
    assert row["unavailable_reason"] == "ModuleNotFoundError: No module named 'no_such_array_library'"


def test_the_text_listing_has_one_block_per_group_and_says_when_one_is_empty() -> None:
    from dezero_core.discovery.listing import format_text

    text = format_text({"dezero.trainers": [], FUNCTIONS: [
        {"name": "sin", "dist": "dezero-core", "version": "0.1.0", "status": "loaded"}]})
    assert text == "dezero.trainers (0)\n  (none installed)\ndezero.functions (1)\n  sin  dezero-core 0.1.0  loaded"


# -- the dezero command ----------------------------------------------------------------------------
def test_a_subcommand_whose_module_is_missing_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setitem(cli.SUBCOMMANDS, "ghost", "dezero_core.no_such_command")
    rc, _, err = run_cli(capsys, "ghost")
    assert rc == 2
    assert "the 'ghost' command is not available: its module dezero_core.no_such_command is not part" in err


def test_a_subcommand_with_a_missing_dependency_names_it(install, monkeypatch, capsys) -> None:
    install("dezero-cmd", "1.0", modules={"needy_command": "import some_missing_library\n"})
    monkeypatch.setitem(cli.SUBCOMMANDS, "needy", "needy_command")
    rc, _, err = run_cli(capsys, "needy")
    assert rc == 2 and "needs 'some_missing_library', which is not installed" in err


def test_only_the_running_subcommands_module_is_imported(install, monkeypatch, capsys) -> None:
    source = "HELP = 'say hello'\ndef add_arguments(parser):\n    parser.add_argument('--name', default='you')\n" \
             "def run(args):\n    print('hello', args.name)\n    return 0\n"
    install("dezero-cmd", "1.0", modules={"hello_command": source})
    monkeypatch.setitem(cli.SUBCOMMANDS, "hello", "hello_command")
    run_cli(capsys, "plugins", "--no-load", "--group", "trainers")
    assert "hello_command" not in sys.modules
    assert run_cli(capsys, "hello", "--name", "dezero") == (0, "hello dezero\n", "")


def test_help_lists_every_subcommand_with_its_one_line_help(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "plugins" in out and "train" in out and "load status" in out


def test_no_subcommand_prints_the_help_and_exits_2(capsys) -> None:
    rc, out, _ = run_cli(capsys)
    assert rc == 2 and out.startswith("usage: dezero")
