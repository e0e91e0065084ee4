"""This folder is named like the library it tests: nothing may make it importable as ``cupy``."""
from __future__ import annotations

import importlib.util


def test_no_folder_of_the_test_suite_imports_as_cupy() -> None:
    # A test module placed directly in tests/ puts tests/ on sys.path (pytest's default "prepend"
    # import mode); tests/cupy then imports as a namespace package named cupy, so
    # pytest.importorskip("cupy") passes on a machine without cupy and the real-cupy tests fail
    spec = importlib.util.find_spec("cupy")
    assert spec is None or spec.origin is not None, (
        f"'cupy' resolves to a folder of the test suite: {list(spec.submodule_search_locations or [])}; "
        f"keep test modules in the subfolders of tests/")
