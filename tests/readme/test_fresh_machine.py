"""README.md's two commands, in sequence, on a fresh clone with nothing else installed.

One module-scoped run: ``git clone`` of this repository's committed HEAD into a temporary folder,
README's setup command there (a new virtual environment, real ``pip install``s from the package
index, then ``dezero train``), then README's test command in the environment the setup activated.
The test command runs with ``--collect-only`` so the suite is not run twice: every test module must
import (a distribution the tests need but the setup does not install is a collection error or a
skip naming it), and the exit status must be 0.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MIN_ACCURACY = 0.95  # README promises >= 95 % test accuracy for the main job


@dataclass(frozen=True)
class Run:
    """What one shell command printed, and how it ended."""

    returncode: int
    output: str


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of the repository's HEAD (the tree CI tests; uncommitted edits are not in it)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail(f"{ROOT} is not a git checkout (or git is missing): this test clones the repository "
                    f"to check README's commands on a fresh copy; run it from a clone")
    clone = tmp_path_factory.mktemp("fresh") / "dezero"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    return clone


@pytest.fixture(scope="module")
def readme_sequence(fresh_clone: Path, readme_commands: tuple[str, str]) -> tuple[Run, Run]:
    """README's setup command, then its test command (collect only) in the same shell."""
    setup, test = readme_commands
    marker = "=== README test command ==="
    script = f"set -e\n{setup}\necho '{marker}'\nset +e\n{test} --collect-only -q -p no:cacheprovider\n"
    done = subprocess.run(["bash", "-c", script], cwd=fresh_clone, env=_outside_env(fresh_clone),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    before, found, after = done.stdout.partition(marker)
    if not found:  # the setup failed: set -e stopped the script there
        return Run(done.returncode, before), Run(-1, "(not run: the setup command failed)")
    return Run(0, before), Run(done.returncode, after)


def _outside_env(clone: Path) -> dict[str, str]:
    """This process's environment without its virtual environment: the setup must make its own."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS")}
    ours = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != ours)
    env["DEZERO_DATA_HOME"] = str(clone.parent / "data")  # no cache from this machine
    env["MPLBACKEND"] = "Agg"
    return env


def test_readme_setup_command_installs_and_runs_the_main_job(readme_sequence: tuple[Run, Run]) -> None:
    setup, _ = readme_sequence
    assert setup.returncode == 0, f"README's setup command failed on a fresh clone:\n{setup.output[-4000:]}"
    found = re.findall(r"test accuracy (\d\.\d+) after \d+ epochs", setup.output)
    assert found, f"dezero train printed no accuracy line:\n{setup.output[-2000:]}"
    assert float(found[-1]) >= MIN_ACCURACY, f"the main job reached only {found[-1]} test accuracy"


def test_readme_test_command_collects_every_test_after_the_setup(readme_sequence: tuple[Run, Run]) -> None:
    setup, test = readme_sequence
    assert setup.returncode == 0, "README's setup command failed (see the test above)"
    assert test.returncode == 0, (f"README's test command fails right after README's setup command "
                                  f"(exit {test.returncode}):\n{test.output[-6000:]}")
    collected = re.search(r"(\d+) tests? collected", test.output)
    assert collected and int(collected.group(1)) > 1000, f"too few tests collected:\n{test.output[-2000:]}"
