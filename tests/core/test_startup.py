"""What importing dezero_core and choosing a backend load: nothing until needed, then one library.

Each check runs in a fresh interpreter, whose ``sys.modules`` is the evidence.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dezero_core.backend import backend_names


def _modules_loaded_by(code: str, **env: str) -> set[str]:
    """Top-level names of the modules loaded by running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    environment = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_dezero_core_loads_no_array_library_and_no_pluggy() -> None:
    loaded = _modules_loaded_by("import dezero_core")
    assert not loaded & {"numpy", "cupy", "array_api_strict", "pluggy"}


@pytest.mark.skipif("strict" not in backend_names(), reason="needs a second backend installed (dezero-strict)")
def test_automatic_selection_loads_only_the_chosen_backend_library() -> None:
    # auto tries cupy, then numpy; the strict test backend (lowest priority) is never probed
    loaded = _modules_loaded_by("import dezero_core; dezero_core.get_backend()", DEZERO_BACKEND="auto")
    assert "array_api_strict" not in loaded


@pytest.mark.parametrize("name", ["data", "layers", "models", "optimizers", "training"])
def test_subpackages_are_attributes_imported_on_first_access(name: str) -> None:
    loaded = _modules_loaded_by(f"import dezero_core; assert dezero_core.{name}.__name__ == 'dezero_core.{name}'")
    assert "pluggy" not in loaded or name == "training"  # pluggy only for the Trainer's hooks
    assert name in dir(__import__("dezero_core"))


def test_an_unknown_attribute_still_says_so() -> None:
    import dezero_core

    with pytest.raises(AttributeError, match="module 'dezero_core' has no attribute 'optimisers'"):
        dezero_core.optimisers  # noqa: B018
