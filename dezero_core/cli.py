"""The ``dezero`` command (also ``python -m dezero_core``): one subcommand per module.

A subcommand is a module named in :data:`SUBCOMMANDS` (or by a plugin, as an entry point of the
group :data:`COMMANDS_GROUP` whose value is the module) that has ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Only the module of the subcommand that runs is
imported (``dezero --help`` imports them all, for their one-line help), so a subcommand module
keeps its heavy imports inside ``run``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import Sequence

#: subcommand -> module implementing it
SUBCOMMANDS = {
    "plugins": "dezero_core.discovery.listing",
    "train": "dezero_core.training.command",
}
#: the entry-point group through which a plugin adds a subcommand (``export = "pkg.command"``)
COMMANDS_GROUP = "dezero.commands"


class CommandUnavailable(Exception):
    """A subcommand whose module is missing or cannot be imported."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dezero [COMMAND] [ARGS...]``; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in SUBCOMMANDS or args[0] in plugin_commands()):
        name = args[0]
        try:
            module = load_command(name)
        except CommandUnavailable as exc:
            print(f"dezero: {exc}", file=sys.stderr)
            return 2
        parser = argparse.ArgumentParser(prog=f"dezero {name}", description=module.HELP)
        module.add_arguments(parser)
        return module.run(parser.parse_args(args[1:]))
    parser = _overview_parser()
    parser.parse_args(args)  # --help, --version and unknown commands exit here
    parser.print_help()
    return 2


def load_command(name: str) -> ModuleType:
    """Import the module of subcommand ``name``; :class:`CommandUnavailable` says why it can't be."""
    if name not in SUBCOMMANDS:
        from dezero_core.discovery import PluginError, registry

        try:
            return registry(COMMANDS_GROUP).get(name)
        except PluginError as exc:
            raise CommandUnavailable(str(exc)) from exc
    module_name = SUBCOMMANDS[name]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise CommandUnavailable(
                f"the {name!r} command is not available: its module {module_name} is not part of "
                f"the installed dezero-core (reinstall or upgrade it)") from exc
        raise CommandUnavailable(f"the {name!r} command needs {exc.name!r}, which is not installed: "
                                 f"pip install {exc.name}") from exc
    except ImportError as exc:
        raise CommandUnavailable(f"the {name!r} command failed to import: {exc}") from exc


def plugin_commands() -> list[str]:
    """The subcommands plugins add (entry-point metadata only: nothing is imported)."""
    from dezero_core.discovery import registry

    return registry(COMMANDS_GROUP).names()


def _overview_parser() -> argparse.ArgumentParser:
    from dezero_core import __version__

    parser = argparse.ArgumentParser(
        prog="dezero", description="DeZero: a backend-agnostic define-by-run deep-learning framework.")
    parser.add_argument("--version", action="version", version=f"dezero-core {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in [*SUBCOMMANDS, *plugin_commands()]:
        try:
            summary = load_command(name).HELP
        except CommandUnavailable as exc:
            summary = f"(unavailable) {exc}"
        commands.add_parser(name, help=summary)
    return parser
