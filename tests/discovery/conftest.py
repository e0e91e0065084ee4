"""Fake installed distributions for discovery tests, made of files in ``tmp_path``.

``importlib.metadata`` (and dezero's reader) find a distribution through a ``<name>-<version>.dist-info``
directory on ``sys.path``; a test creates one, with its ``entry_points.txt`` and its modules, and
the distribution exists for that test only: no install step, nothing leaks into other tests.
"""
from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Callable, Iterator

import pytest

from dezero_core.discovery import refresh_all
from dezero_core.discovery.registry import DISABLED_ENV, ERRORS_ENV

#: install(dist, version, entry_points={group: {name: value}}, modules={dotted name: source})
Install = Callable[..., Path]


@pytest.fixture(autouse=True)
def fresh_registries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test scans the metadata afresh, with the default policies, and leaves no trace."""
    monkeypatch.delenv(ERRORS_ENV, raising=False)  # CI sets raise; tests choose their own
    monkeypatch.delenv(DISABLED_ENV, raising=False)
    refresh_all()
    yield
    refresh_all()


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    """Install fake distributions into a directory put first on ``sys.path`` for this test."""
    site = tmp_path / "site"
    site.mkdir()
    sys.path.insert(0, str(site))

    def install_(dist: str, version: str = "1.0", entry_points: dict[str, dict[str, str]] | None = None,
                 modules: dict[str, str] | None = None) -> Path:
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n\n")
        lines = []
        for group, names in (entry_points or {}).items():
            lines.append(f"[{group}]")
            lines += [f"{name} = {value}" for name, value in names.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in (modules or {}).items():
            path = site.joinpath(*module.split(".")).with_suffix(".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            for package in path.relative_to(site).parents:
                if package != Path("."):
                    (site / package / "__init__.py").touch()
            path.write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        refresh_all()
        return site

    yield install_
    sys.path.remove(str(site))
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(site)):
            del sys.modules[name]
    importlib.invalidate_caches()
    refresh_all()


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set DEZERO_PLUGIN_ERRORS for this test."""
    return lambda value: monkeypatch.setenv(ERRORS_ENV, value)


@pytest.fixture
def disable(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set DEZERO_DISABLED_PLUGINS for this test (and rescan, as a new process would)."""
    def disable_(value: str) -> None:
        monkeypatch.setenv(DISABLED_ENV, value)
        refresh_all()

    return disable_
