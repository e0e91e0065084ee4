"""README.md's commands for a fresh machine stay true: CI runs the test command verbatim."""
from __future__ import annotations

from pathlib import Path

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
