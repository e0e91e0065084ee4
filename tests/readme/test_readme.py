"""README.md's commands for a fresh machine stay true: CI runs the test command verbatim."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_test_command_verbatim(readme_commands: tuple[str, str]) -> None:
    _, test = readme_commands
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test in ci_lines


def test_the_readme_setup_makes_its_own_environment_and_ends_with_the_main_job(
        readme_commands: tuple[str, str]) -> None:
    setup, _ = readme_commands
    assert setup.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install ")
    assert setup.endswith("&& dezero train")


def test_the_readme_setup_installs_every_test_distribution(readme_commands: tuple[str, str]) -> None:
    setup, _ = readme_commands
    dists = sorted(str(d.relative_to(ROOT)) for d in (ROOT / "tests" / "dists").iterdir() if (d / "pyproject.toml").exists())
    missing = [d for d in dists if f"-e {d} " not in setup + " "]
    assert not missing, f"README's setup command does not install {missing}, which the tests use"


DOCUMENTS = ["README.md", "CONTRIBUTING.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_point_only_inside_the_repository(document: str) -> None:
    path = ROOT / document
    text = path.read_text()
    outside = re.findall(r"\.\./[\w./-]+", text)
    assert not outside, f"{document} points outside the repository: {outside}"
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    missing = [t for t in local if not (path.parent / t).exists()]
    assert not missing, f"{document} links to files the repository lacks: {missing}"
