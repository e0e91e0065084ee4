"""Every test here needs dezero-mpi, mpi4py and this environment's mpiexec (the MPICH wheel's), which
README's setup command does not install: without them, each module of this folder is reported as
skipped, naming what is missing, instead of failing to import."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

MISSING = [m for m in ("dezero_mpi", "mpi4py") if importlib.util.find_spec(m) is None]
if not (Path(sys.executable).parent / "mpiexec").exists():  # the tests launch this environment's mpiexec
    MISSING.append(f"mpiexec beside {sys.executable}")

if MISSING:
    class _NeedsDistribution(pytest.Module):
        def collect(self) -> list:
            pytest.skip(f"needs dezero-mpi ({', '.join(MISSING)} not installed): pip install -e 'plugins/mpi[mpich]'",
                        allow_module_level=True)

    def pytest_pycollect_makemodule(module_path, parent):  # noqa: ANN001, ANN201  (pytest's hook)
        return _NeedsDistribution.from_parent(parent, path=module_path)
