"""``dezero plugins``: every installed entry, with its distribution, version and load status.

Each entry is loaded to report its status (``--no-load`` reads metadata only); a broken one shows
``failed: ...`` and the listing goes on. The exit status is 1 when something is broken and
``DEZERO_PLUGIN_ERRORS=raise``, else 0.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any, Iterable

from dezero_core.discovery.errors import PluginConfigError, PluginError, PluginWarning
from dezero_core.discovery.registry import GROUPS, Entry, Registry, error_policy, registry

HELP = "list installed backends, functions, layers, ... with distribution, version and load status"

Row = dict[str, Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``dezero plugins``."""
    parser.add_argument("--json", action="store_true", help="print JSON: group -> list of entries")
    parser.add_argument("--group", action="append", type=_group, metavar="GROUP",
                        help=f"only this group (repeatable): {', '.join(_short(g) for g in GROUPS)}")
    parser.add_argument("--no-load", dest="load", action="store_false",
                        help="read metadata only: import nothing, report no load status")


def run(args: argparse.Namespace) -> int:
    """Print the listing; 1 if an entry is broken and DEZERO_PLUGIN_ERRORS=raise; 2 if a plugin setting
    of the environment is wrong (the message says which)."""
    try:
        listing = collect(args.group or GROUPS, load=args.load)
    except PluginConfigError as exc:
        print(f"dezero plugins: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(listing, indent=2) if args.json else format_text(listing))
    problems = _problems(listing)
    if problems and error_policy() != "ignore":
        print(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems), file=sys.stderr)
    return 1 if problems and error_policy() == "raise" else 0


def collect(groups: Iterable[str] = GROUPS, load: bool = True) -> dict[str, list[Row]]:
    """group -> one row per entry (disabled ones included): name, dist, version, value, status;
    ``conflicts_with`` for a name several distributions claim; ``available`` and
    ``unavailable_reason`` for a loaded backend."""
    listing: dict[str, list[Row]] = {}
    for group in groups:
        reg = registry(group)
        if load:
            _load(reg)
        conflicts = reg.conflicts()
        rows = []
        for entry in reg.entries(include_disabled=True):
            row: Row = {"name": entry.name, "dist": entry.dist, "version": entry.version,
                        "value": entry.value, "status": entry.status}
            rivals = [e.qualified_name for e in conflicts.get(entry.name, []) if e is not entry]
            if rivals and not entry.disabled:
                row["conflicts_with"] = rivals
            if group == "dezero.backends" and entry.loaded:
                row.update(_availability(entry))
            rows.append(row)
        listing[group] = rows
    return listing


def _problems(listing: dict[str, list[Row]]) -> list[str]:
    """One line per broken entry and per name several distributions claim."""
    found = []
    for group, rows in listing.items():
        for row in rows:
            if row["status"].startswith("failed"):
                found.append(f"{group}: {row['name']} from {row['dist']} {row['version']} {row['status']}")
        claimed = {r["name"]: [f"{r['dist']}:{r['name']}"] + r["conflicts_with"]
                   for r in rows if r.get("conflicts_with")}
        found += [f"{group}: {name} is claimed by {' and '.join(sorted(who))}" for name, who in claimed.items()]
    return found


def _load(reg: Registry) -> None:
    """Load every entry of ``reg``; failures are recorded on the entries (their ``status``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # the listing itself shows what failed
        for entry in reg.entries():
            try:
                entry.load()
            except PluginError:
                pass
        if reg.group == "dezero.plugins":  # registering and configuring can fail too
            from dezero_core.plugin_manager import get_plugin_manager

            try:
                get_plugin_manager()
            except PluginError:
                pass


def _availability(entry: Entry) -> Row:
    from dezero_core.backend.selection import _instance  # the one instance get_backend uses

    try:
        backend = _instance(entry.qualified_name)
    except Exception as exc:  # not an ArrayBackend, or its constructor failed
        return {"available": False, "unavailable_reason": str(exc)}
    available = backend.is_available()
    return {"available": available, "unavailable_reason": None if available else backend.unavailable_reason}


def format_text(listing: dict[str, list[Row]]) -> str:
    """The human-readable listing: one block per group, columns aligned across groups."""
    rows = [row for group_rows in listing.values() for row in group_rows]
    name_width = max((len(r["name"]) for r in rows), default=0)
    dist_width = max((len(f"{r['dist']} {r['version']}") for r in rows), default=0)
    lines = []
    for group, group_rows in listing.items():
        lines.append(f"{group} ({len(group_rows)})")
        if not group_rows:
            lines.append("  (none installed)")
        for r in group_rows:
            lines.append(f"  {r['name']:<{name_width}}  {r['dist'] + ' ' + r['version']:<{dist_width}}  "
                         f"{_describe(r)}")
    return "\n".join(lines)


def _describe(row: Row) -> str:
    text = row["status"]
    if "available" in row:
        text += ", available" if row["available"] else f", unavailable: {row['unavailable_reason']}"
    if row.get("conflicts_with"):
        text += f"  [conflict: also {', '.join(row['conflicts_with'])}; ask for dist:name]"
    return text


def _group(text: str) -> str:
    group = text if "." in text else f"dezero.{text}"
    if group not in GROUPS:
        raise argparse.ArgumentTypeError(
            f"unknown group {text!r}; choose from {', '.join(_short(g) for g in GROUPS)}")
    return group


def _short(group: str) -> str:
    return group.split(".", 1)[1]
