"""docs/usage.md's examples run as written: every ```python block, in order, in one namespace."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USAGE = ROOT / "docs" / "usage.md"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(first line number, source)`` of every ```python block of a Markdown text."""
    found = []
    for match in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL):
        found.append((text.count("\n", 0, match.start(1)) + 1, match.group(1)))
    return found


def test_every_usage_example_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # anything an example writes lands in a temporary folder
    blocks = python_blocks(USAGE.read_text())
    assert len(blocks) >= 8, f"docs/usage.md lost its examples: {len(blocks)} python blocks"
    namespace: dict = {"__name__": "usage_md"}
    for line, source in blocks:
        # compiled with its place in the file, so a failure's traceback points into docs/usage.md
        code = compile("\n" * (line - 1) + source, str(USAGE), "exec")
        exec(code, namespace)  # noqa: S102  (our own documentation)
