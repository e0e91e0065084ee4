"""Reading the installed entry points, and resolving one to the object it names.

``importlib.metadata`` costs about 20 ms to import (it pulls in ``email``, ``zipfile``, ``csv``...),
more than the rest of ``dezero_core`` together, and the first operation of every program pays it
(the backend is an entry point). In the usual layout, where every ``sys.path`` entry is a directory,
the same information is a handful of small files: ``<name>-<version>.dist-info/entry_points.txt``.
This module reads those directly, with ``importlib.metadata``'s rules (``sys.path`` order, the first
distribution of a name wins), and falls back to ``importlib.metadata`` itself whenever the layout is
anything else: a zip file or an egg on ``sys.path``, or a custom finder that provides distributions.
tests/discovery/test_metadata.py checks that both ways give the same answer.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
from importlib.machinery import PathFinder
from typing import Any, Iterator, NamedTuple

INFO_SUFFIXES = (".dist-info", ".egg-info")


class EntryPointInfo(NamedTuple):  # a NamedTuple: a frozen dataclass costs 1 ms more at import
    """One installed entry point, as metadata: nothing is imported."""

    group: str
    name: str
    value: str  # "package.module:attr.attr"
    dist: str  # canonical distribution name (PEP 503): "dezero-core"
    version: str


def canonical_name(dist_name: str) -> str:
    """The PEP 503 normalized form of a distribution name: ``Dezero_Core`` -> ``dezero-core``."""
    return re.sub(r"[-_.]+", "-", dist_name).lower()


def installed_entry_points(group_prefix: str = "dezero.") -> list[EntryPointInfo]:
    """Every installed entry point whose group starts with ``group_prefix``, in ``sys.path`` order."""
    fast = _read_dist_info_dirs(group_prefix)
    return fast if fast is not None else _read_with_importlib(group_prefix)


def load_object(value: str) -> Any:
    """Import the object an entry-point value names: ``"pkg.module:attr.sub"`` (extras ignored)."""
    target = value.split("[", 1)[0].strip()
    module_name, _, attrs = target.partition(":")
    obj = importlib.import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


def _read_dist_info_dirs(group_prefix: str) -> list[EntryPointInfo] | None:
    """The fast path; None when the layout needs ``importlib.metadata``."""
    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return None
    found: list[EntryPointInfo] = []
    seen: set[str] = set()
    for entry in sys.path:
        root = os.fspath(entry) or "."
        if root.endswith(".egg"):  # an egg keeps its metadata in EGG-INFO
            return None
        try:
            children = os.listdir(root)
        except NotADirectoryError:  # a zip file on sys.path
            return None
        except OSError:  # missing or unreadable: importlib.metadata skips it too
            continue
        for child in children:
            suffix = next((s for s in INFO_SUFFIXES if child.lower().endswith(s)), None)
            if suffix is None:
                continue
            stem = child[: -len(suffix)]
            dist = canonical_name(stem.split("-", 1)[0])
            if dist in seen:
                continue  # shadowed by a distribution earlier on sys.path
            seen.add(dist)
            path = os.path.join(root, child)
            if not os.path.isdir(path):
                continue  # a bare PKG-INFO file: a distribution without entry points
            text = _read_text(os.path.join(path, "entry_points.txt"))
            if text is None:
                continue
            version = _version(stem, path)
            found.extend(EntryPointInfo(group, name, value, dist, version)
                         for group, name, value in _parse_entry_points(text, group_prefix))
    return found


def _version(stem: str, path: str) -> str:
    """``name-1.2.dist-info`` carries its version; a bare ``name.egg-info`` only in its metadata."""
    parts = stem.split("-")
    if len(parts) > 1 and parts[1]:
        return parts[1]
    for filename in ("METADATA", "PKG-INFO"):
        text = _read_text(os.path.join(path, filename))
        if text is not None:
            for line in text.splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
                if not line:  # end of the headers
                    break
    return "?"


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def _parse_entry_points(text: str, group_prefix: str) -> Iterator[tuple[str, str, str]]:
    """``(group, name, value)`` for each line of an ``entry_points.txt`` (an INI file)."""
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
        elif group is not None and group.startswith(group_prefix):
            name, sep, value = line.partition("=")
            if sep:
                yield group, name.strip(), value.strip()


def _read_with_importlib(group_prefix: str) -> list[EntryPointInfo]:
    from importlib import metadata

    found = []
    everything = metadata.entry_points()  # first distribution of each name, in sys.path order
    for group in sorted(g for g in everything.groups if g.startswith(group_prefix)):
        for ep in everything.select(group=group):
            dist = ep.dist
            name = canonical_name(dist.metadata["Name"]) if dist is not None else "unknown"
            version = dist.version if dist is not None else "?"
            found.append(EntryPointInfo(ep.group, ep.name, ep.value, name, version))
    return found
