"""Start-up cost: ``import dezero_core`` and a first operation, against ``import numpy``.

Each measurement is a fresh interpreter (``python -c ...``), run interleaved with the others
(A B C D A B C D ..., medians), so that disk caches and a noisy machine treat them alike:

- ``python -c "pass"``: the interpreter's own start-up (for reference);
- ``python -c "import numpy"``: the baseline;
- ``python -c "import dezero_core"``: must import no array library (checked: numpy, cupy) and no
  pluggy (only plugins with behaviour hooks need it);
- ``import dezero_core`` plus a first operation on the numpy backend (backend selection, entry-point
  lookup, numpy's import, one forward and backward).

Target: the last at most 1.3 x ``import numpy``.

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

FIRST_OPERATION = (
    "import dezero_core as dz; "
    "x = dz.Variable(dz.as_array([1.0, 2.0, 3.0])); "
    "y = (x * x + 1.0).sum(); y.backward(); "
    "assert x.backend.name == 'numpy', x.backend.name"
)

COMMANDS = {
    "python -c pass": "pass",
    "import numpy": "import numpy",
    "import dezero_core": "import dezero_core",
    "import dezero_core + first operation": FIRST_OPERATION,
}


def _environment(cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DEZERO_BACKEND", "numpy")  # the numpy backend even where cupy is installed
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Measure what an installed package costs: from cached bytecode, as pip leaves it. Without
    # this, PYTHONDONTWRITEBYTECODE (set on some machines) recompiles every source file each run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache_dir  # ... cached outside the source tree
    return env


def wall_time(code: str, env: dict[str, str]) -> float:
    """Seconds for a fresh interpreter to run ``code`` and exit."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def forbidden_imports(env: dict[str, str]) -> list[str]:
    """The modules of FORBIDDEN (and their submodules) that ``import dezero_core`` loads."""
    code = ("import sys, json, dezero_core; "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="interleaved runs of each command (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_import_pycache_") as cache_dir:
        return run(args.runs, _environment(cache_dir))


def run(runs: int, env: dict[str, str]) -> int:
    """Measure, print the table, and return the exit status (1 when a forbidden module loaded)."""
    loaded = forbidden_imports(env)
    for code in COMMANDS.values():  # warm the disk cache and the bytecode caches
        wall_time(code, env)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, code in COMMANDS.items():
            times[name].append(wall_time(code, env))
    ms = {name: statistics.median(ts) * 1e3 for name, ts in times.items()}

    base = ms["import numpy"]
    print(f"fresh interpreters, median of {runs} interleaved runs ({sys.executable})")
    print(f"{'':40s} {'ms':>8s} {'x import numpy':>15s}")
    for name, value in ms.items():
        print(f"{name:40s} {value:8.1f} {value / base:15.2f}")
    ratio = ms["import dezero_core + first operation"] / base
    print(f"target: import dezero_core + first operation <= 1.3 x import numpy; here {ratio:.2f} x: "
          f"{'met' if ratio <= 1.3 else 'NOT met'}")
    if loaded:
        print(f"FAILED: import dezero_core imported {', '.join(loaded)}")
        return 1
    print(f"import dezero_core imported none of {', '.join(FORBIDDEN)}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
