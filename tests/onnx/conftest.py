"""Every test here needs dezero-onnx, which README's setup command does not install: without it, each
module of this folder is reported as skipped, naming the distribution, instead of failing to import."""
from __future__ import annotations

import importlib.util

import pytest

MISSING = [m for m in "dezero_onnx onnx onnxruntime".split() if importlib.util.find_spec(m) is None]

if MISSING:
    class _NeedsDistribution(pytest.Module):
        def collect(self) -> list:
            pytest.skip(f"needs dezero-onnx ({', '.join(MISSING)} not installed): pip install -e 'plugins/onnx[test]'", allow_module_level=True)

    def pytest_pycollect_makemodule(module_path, parent):  # noqa: ANN001, ANN201  (pytest's hook)
        return _NeedsDistribution.from_parent(parent, path=module_path)
