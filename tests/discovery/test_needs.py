"""A test folder whose distribution is missing is skipped module by module, naming the distribution."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_folder_needing_a_missing_distribution_skips_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "needs_it"
    folder.mkdir()
    (folder / "conftest.py").write_text(
        "from dezero_core.testing.needs import skip_modules_without\n"
        "pytest_pycollect_makemodule = skip_modules_without('dezero-nowhere', ['dezero_nowhere'], "
        "'pip install dezero-nowhere')\n")
    (folder / "test_a.py").write_text("import dezero_nowhere\n\ndef test_x():\n    pass\n")
    (folder / "test_b.py").write_text("def test_y():\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", str(folder), "-q", "-rs", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 5, done.stdout  # pytest's "no test ran": both modules skipped
    assert "2 skipped" in done.stdout
    assert "needs dezero-nowhere (dezero_nowhere not installed): pip install dezero-nowhere" in done.stdout


def test_a_folder_whose_distribution_is_installed_runs(tmp_path: Path) -> None:
    folder = tmp_path / "has_it"
    folder.mkdir()
    (folder / "conftest.py").write_text(
        "from dezero_core.testing.needs import skip_modules_without\n"
        "pytest_pycollect_makemodule = skip_modules_without('dezero-core', ['dezero_core'], 'pip install .')\n")
    (folder / "test_a.py").write_text("def test_x():\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", str(folder), "-q", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout
