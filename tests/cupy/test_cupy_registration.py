"""dezero-cupy is found through its entry point, without importing cupy."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from dezero_core.backend import backend_names
from dezero_core.discovery import registry


def test_cupy_is_listed_among_the_installed_backends() -> None:
    assert "cupy" in backend_names()


def test_entry_point_resolves_to_the_cupy_backend_class() -> None:
    from dezero_cupy import CupyBackend

    assert registry("dezero.backends").get("cupy") is CupyBackend


def test_cupy_ranks_above_numpy(cupy_backend) -> None:
    from dezero_core.backend.selection import _instance

    assert cupy_backend.name == "cupy"
    assert cupy_backend.priority > _instance("numpy").priority


def _imported_after(code: str) -> list[str]:
    """The cupy modules in sys.modules after running ``code`` in a fresh interpreter."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import sys
        print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx"))))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_importing_dezero_core_imports_no_cupy() -> None:
    assert _imported_after("import dezero_core") == []


def test_importing_dezero_cupy_imports_no_cupy() -> None:
    assert _imported_after("import dezero_cupy; from dezero_cupy import CupyBackend; CupyBackend()") == []


def test_listing_backends_imports_no_cupy() -> None:
    assert _imported_after("import dezero_core; dezero_core.backend_names()") == []
