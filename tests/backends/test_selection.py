"""Backend selection as a fresh process meets it: a wrong DEZERO_BACKEND is an error at the first
operation whatever the inputs, auto selection passes over a broken backend, recognising an array
loads only its owner, and the conformance suite fails on a named backend that cannot load.

Each check runs in a fresh interpreter (selection happens once per process); a fake distribution
``dezero-broken`` on PYTHONPATH registers a backend whose module fails to import.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dezero_core.backend.selection import _instance, backend_names
from dezero_core.discovery import registry

#: every kind of first operation: each must raise the selection's error, whatever its inputs
FIRST_OPERATIONS = '''
import json, numpy as np
import dezero_core as dz
from dezero_core import functions as F
from dezero_core.data import DataLoader, Dataset

operations = {
    "Variable(numpy array)": lambda: dz.Variable(np.ones(2)),
    "F.sin(numpy array)": lambda: F.sin(np.ones(2)),
    "as_array": lambda: dz.as_array([1.0, 2.0]),
    "Linear(4, in_size=3)": lambda: dz.layers.Linear(4, in_size=3),
    "lazy Linear fed numpy": lambda: dz.layers.Linear(4)(np.ones((2, 3), np.float32)),
    "DataLoader over numpy": lambda: next(DataLoader(Dataset(np.ones((4, 2)), np.zeros(4)), 2)),
}
outcomes = {}
for what, operation in operations.items():
    try:
        operation()
        outcomes[what] = "ran"
    except Exception as exc:
        outcomes[what] = f"{type(exc).__name__}: {exc}"
print(json.dumps(outcomes))
'''


def run_python(code: str, tmp_path: Path, with_torch: bool = False, **env: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter that also sees the fake broken distribution."""
    environment = {**os.environ, "PYTHONPATH": str(broken_distribution(tmp_path)), **env}
    for name in ("DEZERO_BACKEND", "DEZERO_DISABLED_PLUGINS", "DEZERO_PLUGIN_ERRORS"):
        if name not in env:
            environment.pop(name, None)
    if not with_torch:
        environment.update(without_torch(env.get("DEZERO_DISABLED_PLUGINS", "")))
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          timeout=120)


def without_torch(disabled: str = "") -> dict[str, str]:
    """DEZERO_DISABLED_PLUGINS adding dezero-torch where it is installed: an error message lists
    whether each installed backend is usable, and importing torch to say so takes seconds."""
    torch = [e.dist for e in registry("dezero.backends").entries() if e.name == "torch"]
    names = [n for n in (disabled, *torch) if n]
    return {"DEZERO_DISABLED_PLUGINS": ",".join(names)} if names else {}


def broken_distribution(tmp_path: Path) -> Path:
    """A folder holding ``dezero-broken``: a backend entry point whose module fails to import."""
    site = tmp_path / "site"
    info = site / "dezero_broken-0.1.dist-info"
    if not info.exists():
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dezero-broken\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text("[dezero.backends]\nbroken = dezero_broken:Backend\n")
        (site / "dezero_broken.py").write_text(
            "raise ImportError('libbroken.so: cannot open shared object file')\n")
    return site


def first_operations(tmp_path: Path, **env: str) -> dict[str, str]:
    out = run_python(FIRST_OPERATIONS, tmp_path, **env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_unknown_dezero_backend_is_an_error_at_every_first_operation(tmp_path: Path) -> None:
    outcomes = first_operations(tmp_path, DEZERO_BACKEND="nmupy")
    for what, outcome in outcomes.items():
        assert outcome.startswith("BackendError: DEZERO_BACKEND='nmupy' asked for backend 'nmupy', which "
                                  "is not installed (did you mean numpy"), f"{what}: {outcome}"
        assert "Installed backends: " in outcome and "numpy" in outcome, f"{what}: {outcome}"


def test_a_dezero_backend_that_fails_to_load_is_an_error_with_the_load_error(tmp_path: Path) -> None:
    outcomes = first_operations(tmp_path, DEZERO_BACKEND="broken")
    for what, outcome in outcomes.items():
        assert outcome.startswith("BackendError: DEZERO_BACKEND='broken' asked for backend 'broken', which "
                                  "failed to load: "), f"{what}: {outcome}"
        assert "libbroken.so: cannot open shared object file" in outcome, f"{what}: {outcome}"


@pytest.mark.skipif(_instance("cupy").is_available(), reason="cupy is usable here: no unusable backend to name")
def test_an_unusable_dezero_backend_is_an_error_even_over_numpy_inputs(tmp_path: Path) -> None:
    outcomes = first_operations(tmp_path, DEZERO_BACKEND="cupy")
    for what, outcome in outcomes.items():
        assert outcome.startswith("BackendError: DEZERO_BACKEND='cupy' asked for backend 'cupy', which is "
                                  "installed but unusable: "), f"{what}: {outcome}"


def test_a_valid_dezero_backend_runs_every_first_operation(tmp_path: Path) -> None:
    assert set(first_operations(tmp_path, DEZERO_BACKEND="numpy").values()) == {"ran"}


def test_the_selected_backend_trains_a_numpy_dataset(tmp_path: Path) -> None:
    # DEZERO_BACKEND=cupy python train.py, with the strict test backend standing in for the GPU
    if "strict" not in backend_names():
        pytest.skip("needs a second backend installed (dezero-strict-backend)")
    code = textwrap.dedent('''
        import numpy as np
        from dezero_core import functions as F
        from dezero_core.data import DataLoader, Dataset
        from dezero_core.layers import Linear
        from dezero_core.optimizers import SGD

        x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
        t = (x.sum(axis=1) > 0).astype(np.int64)
        model = Linear(2)
        optimizer = SGD(0.1).setup(model)
        for xb, tb in DataLoader(Dataset(x, t), batch_size=4):
            loss = F.softmax_cross_entropy(model(xb), tb)
            model.cleargrads()
            loss.backward()
            optimizer.update()
        print(model.W.backend.name, model.W.grad.backend.name, type(xb).__module__.split(".")[0])
    ''')
    out = run_python(code, tmp_path, DEZERO_BACKEND="strict")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["strict", "strict", "array_api_strict"]


def test_set_backend_naming_an_unknown_backend_says_set_backend_asked(tmp_path: Path) -> None:
    out = run_python("import dezero_core as dz\ntry:\n    dz.set_backend('nmupy')\n"
                     "except dz.BackendError as exc:\n    print(exc)", tmp_path)
    assert out.stdout.startswith("set_backend('nmupy') asked for backend 'nmupy', which is not installed")


def test_auto_selection_passes_over_a_disabled_and_a_broken_backend(tmp_path: Path) -> None:
    code = textwrap.dedent('''
        import dezero_core as dz
        print(dz.get_backend().name)
        dz.set_backend("auto")
        try:
            dz.set_backend("broken")
        except dz.BackendError as exc:
            print(exc)
    ''')
    out = run_python(code, tmp_path, DEZERO_DISABLED_PLUGINS="dezero-numpy")
    assert out.returncode == 0, out.stderr
    chosen, message = out.stdout.strip().splitlines()
    usable = [n for n in backend_names() if n not in ("numpy", "torch") and _instance(n).is_available()]
    assert chosen == max(usable, key=lambda n: _instance(n).priority)
    assert "libbroken.so" in message


def test_with_no_usable_backend_auto_says_why_for_each(tmp_path: Path) -> None:
    others = ",".join(e.dist for e in registry("dezero.backends").entries())
    out = run_python("import dezero_core as dz\ntry:\n    dz.get_backend()\n"
                     "except dz.BackendError as exc:\n    print(exc)", tmp_path, DEZERO_DISABLED_PLUGINS=others)
    assert out.stdout.startswith("no usable array backend. Installed backends: broken (failed to load: ")
    assert "libbroken.so" in out.stdout


@pytest.mark.parametrize("make", ["numpy.ones(2)", "torch.ones(2)"])
def test_recognising_an_array_loads_only_its_owner(tmp_path: Path, make: str) -> None:
    owner = make.split(".")[0]
    if owner not in backend_names():
        pytest.skip(f"the {owner} backend is not installed")
    others = {"array_api_strict", "torch", "cupy"} - {owner}
    code = (f"import sys, numpy, {owner}, dezero_core as dz\n"
            f"assert dz.Variable({make}).backend.name == {owner!r}\n"
            f"print(sorted(m for m in {sorted(others)} if m in sys.modules))")
    out = run_python(code, tmp_path, with_torch=True, DEZERO_BACKEND=owner)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_suite_fails_with_the_load_error_on_a_named_backend_that_cannot_load(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(broken_distribution(tmp_path))}
    environment.pop("DEZERO_PLUGIN_ERRORS", None)
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs",
                          "dezero_core.testing", "--dezero-backend=broken", "-q"],
                         cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "--dezero-backend: backend 'broken' is installed but fails to load: " in out.stdout + out.stderr
    assert "libbroken.so: cannot open shared object file" in out.stdout + out.stderr


def test_the_suite_fails_on_a_wrong_dezero_backend_instead_of_skipping_everything(tmp_path: Path) -> None:
    environment = {**os.environ, "DEZERO_BACKEND": "nmupy", **without_torch()}
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs",
                          "dezero_core.testing", "-q", "-k", "test_is_available"],
                         cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "DEZERO_BACKEND='nmupy' asked for backend 'nmupy', which is not installed" in out.stdout + out.stderr
