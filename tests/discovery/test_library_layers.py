"""Which library module may import which: the library never imports the test package, and the
graph imports nothing above it (the functions package installs Variable's operators)."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import dezero_core

CORE = Path(dezero_core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every ``dezero_core...`` module a source file imports, at any depth (lazy imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("dezero_core")}


def test_library_code_never_imports_the_test_package() -> None:
    offenders = {str(p.relative_to(CORE)): sorted(m for m in imported_modules(p) if m.startswith("dezero_core.testing"))
                 for p in CORE.rglob("*.py") if "testing" not in p.relative_to(CORE).parts}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_graph_imports_nothing_above_it() -> None:
    allowed = ("dezero_core.graph", "dezero_core.backend", "dezero_core.config", "dezero_core.anomaly")
    above = {str(p.relative_to(CORE)): sorted(m for m in imported_modules(p) if not m.startswith(allowed))
             for p in (CORE / "graph").glob("*.py")}
    assert not {k: v for k, v in above.items() if v}


def test_variables_get_their_operators_from_the_functions_package() -> None:
    from dezero_core.functions import operators

    x = dezero_core.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    for name, method in operators.METHODS.items():
        assert getattr(dezero_core.Variable, name) is method, name
    y = ((x + 1) * 2 - x / 2) ** 2 @ x.T
    np.testing.assert_allclose(y.data, (((x.data + 1) * 2 - x.data / 2) ** 2) @ x.data.T)
    assert x.reshape(4).shape == (4,) and float(x.sum().data) == 10.0 and float(x[1, 0].data) == 3.0
