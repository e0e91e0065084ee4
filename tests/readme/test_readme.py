"""README.md's two commands for a fresh machine stay true: CI runs the test command verbatim."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    blocks = _bash_blocks((ROOT / "README.md").read_text())
    test_commands = [b for b in blocks if "pytest" in b]
    assert len(test_commands) == 1, f"README.md should give one test command, found {test_commands}"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_commands[0] in ci_lines


def test_the_readme_main_job_installs_what_dezero_train_needs() -> None:
    blocks = _bash_blocks((ROOT / "README.md").read_text())
    main_job = next(b for b in blocks if "dezero train" in b)
    for needed in ("python3 -m venv", "-e '.[train]'", "-e backends/numpy", "-e plugins/datasets"):
        assert needed in main_job
    assert main_job.rstrip().endswith("dezero train")
