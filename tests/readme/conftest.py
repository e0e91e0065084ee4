"""README.md's commands for a fresh machine, as the tests of this folder read them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bash_blocks(text: str) -> list[str]:
    """The ```bash blocks of a Markdown text, each as one command (backslash continuations joined)."""
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    return [re.sub(r"\\\n\s*", "", block).strip() for block in blocks]


@pytest.fixture(scope="module")
def readme_commands() -> tuple[str, str]:
    """README's setup command (the block that ends with ``dezero train``) and its test command."""
    blocks = bash_blocks((ROOT / "README.md").read_text())
    setups = [b for b in blocks if b.startswith("python3 -m venv") and b.endswith("dezero train")]
    tests = [b for b in blocks if "pytest" in b]
    assert len(setups) == 1, f"README.md should give one setup command ending in 'dezero train': {setups}"
    assert len(tests) == 1, f"README.md should give one test command, found {tests}"
    return setups[0], tests[0]
