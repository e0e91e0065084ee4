"""Skipping a test folder whose distribution is not installed, with a reason that names it.

A folder of tests for one optional distribution ends its ``conftest.py`` with::

    pytest_pycollect_makemodule = skip_modules_without("dezero-onnx", ["dezero_onnx", "onnx"], "pip install ...")

and each of its modules is then reported as skipped (the distribution and how to install it in the
reason) instead of failing to import, while new test files of the folder need nothing of their own.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Callable, Sequence


def skip_modules_without(dist: str, modules: Sequence[str], how: str) -> Callable[..., Any]:
    """A ``pytest_pycollect_makemodule`` hook that skips every module when one of ``modules`` is
    missing (and leaves collection to pytest otherwise)."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    reason = f"needs {dist} ({', '.join(missing)} not installed): {how}"

    def pytest_pycollect_makemodule(module_path: Any, parent: Any) -> Any:
        if not missing:
            return None
        import pytest

        class NeedsDistribution(pytest.Module):
            def collect(self) -> list:
                pytest.skip(reason, allow_module_level=True)

        return NeedsDistribution.from_parent(parent, path=module_path)

    return pytest_pycollect_makemodule
