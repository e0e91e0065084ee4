"""Start-up cost: ``import dezero_core`` and a first operation, against ``import numpy``.

Each measurement is a fresh interpreter (``python -c ...``), run interleaved with the others
(A B C D ... A B C D ..., medians), so that a noisy machine treats them alike:

- ``python -c "pass"``: the interpreter's own start-up (for reference);
- ``python -c "import numpy"``: the baseline;
- ``python -c "import dezero_core"``: must import no array library (checked: numpy, cupy) and no
  pluggy (only plugins with behaviour hooks need it);
- ``import dezero_core`` plus a first operation (forward and backward) on the numpy backend, chosen
  by ``DEZERO_BACKEND=numpy``, and chosen automatically (which first probes cupy) when automatic
  selection picks numpy on this machine.

Target: import dezero_core + a first operation at most 1.3 x ``import numpy``.

    python benchmarks/bench_import.py [--runs 15]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

#: modules ``import dezero_core`` must not import
FORBIDDEN = ("numpy", "cupy", "pluggy")
TARGET = 1.3

FIRST_OPERATION = (
    "import dezero_core as dz; "
    "x = dz.Variable(dz.as_array([1.0, 2.0, 3.0])); "
    "y = (x * x + 1.0).sum(); y.backward(); "
    "assert x.backend.name == 'numpy', x.backend.name"
)

#: name -> (code, environment variables set for it; None removes one)
COMMANDS: dict[str, tuple[str, dict[str, str | None]]] = {
    "python -c pass": ("pass", {}),
    "import numpy": ("import numpy", {}),
    "import dezero_core": ("import dezero_core", {}),
    "+ first operation, DEZERO_BACKEND=numpy": (FIRST_OPERATION, {"DEZERO_BACKEND": "numpy"}),
    "+ first operation, automatic selection": (FIRST_OPERATION, {"DEZERO_BACKEND": None}),
}


def _environment(cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Measure what an installed package costs: from cached bytecode, as pip leaves it. Without
    # this, PYTHONDONTWRITEBYTECODE (set on some machines) recompiles every source file each run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache_dir  # ... cached outside the source tree
    return env


def _with(env: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    out = dict(env)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def wall_time(code: str, env: dict[str, str]) -> float:
    """Seconds for a fresh interpreter to run ``code`` and exit."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def _output(code: str, env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def forbidden_imports(env: dict[str, str]) -> list[str]:
    """The modules of FORBIDDEN (and their submodules) that ``import dezero_core`` loads."""
    code = ("import sys, json, dezero_core; "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))")
    return json.loads(_output(code, env))


def automatic_choice(env: dict[str, str]) -> str:
    """The backend automatic selection picks here."""
    return _output("import dezero_core; print(dezero_core.get_backend().name)",
                   _with(env, COMMANDS["+ first operation, automatic selection"][1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="interleaved runs of each command (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_import_pycache_") as cache_dir:
        return run(args.runs, _environment(cache_dir))


def run(runs: int, env: dict[str, str]) -> int:
    """Measure, print the table, and return the exit status (1 when a forbidden module loaded)."""
    loaded = forbidden_imports(env)
    commands = dict(COMMANDS)
    auto = automatic_choice(env)
    if auto != "numpy":
        del commands["+ first operation, automatic selection"]
    for code, changes in commands.values():  # warm the disk cache and the bytecode caches
        wall_time(code, _with(env, changes))
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (code, changes) in commands.items():
            times[name].append(wall_time(code, _with(env, changes)))
    ms = {name: statistics.median(ts) * 1e3 for name, ts in times.items()}

    base = ms["import numpy"]
    print(f"fresh interpreters, median of {runs} interleaved runs ({sys.executable})")
    print(f"{'':42s} {'ms':>8s} {'x import numpy':>15s}")
    for name, value in ms.items():
        print(f"{name:42s} {value:8.1f} {value / base:15.2f}")
    if auto != "numpy":
        print(f"(automatic selection picks {auto!r} here: measured with DEZERO_BACKEND=numpy only)")
    for name in [n for n in ms if n.startswith("+ first operation")]:
        ratio = ms[name] / base
        print(f"target: import dezero_core + {name[2:]} <= {TARGET} x import numpy; here {ratio:.2f} x: "
              f"{'met' if ratio <= TARGET else 'NOT met'}")
    if loaded:
        print(f"FAILED: import dezero_core imported {', '.join(loaded)}")
        return 1
    print(f"import dezero_core imported none of {', '.join(FORBIDDEN)}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
