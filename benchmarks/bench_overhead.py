"""Per-operation overhead of the graph core: a chain of tiny elementwise operations, forward + backward.

The workload is the book's worst case for a define-by-run framework: 1000 operations (alternately
``sin`` and ``* 1.0001``) on a vector of 10 float32 numbers, then ``sum`` and ``backward()``. The
arithmetic is almost free, so what is measured is the framework's own bookkeeping per operation.

Baselines, in the same process and interleaved with it (A B C A B C ..., medians):

- plain numpy, forward only: the figure the targets are stated against;
- plain numpy, forward and a hand-written backward: the arithmetic our fwd+bwd cannot avoid;
- PyTorch eager (when ``import torch`` works; it is never a dependency of the project).

Target: at most 4 us per operation on the reference machine, where numpy's forward costs 0.44 us
per operation (DeZero 13.7 us, PyTorch 3.9 us there): a ratio of 4 / 0.44 = 9.1 to numpy's forward.

    python benchmarks/bench_overhead.py [--ops 1000] [--size 10] [--rounds 30] [--threads 1]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

from bench_mlp import THREADS, import_torch  # pins BLAS threads (--threads, default 1) before numpy loads

import numpy as np  # noqa: E402

import dezero_core as dz  # noqa: E402
from dezero_core import Variable  # noqa: E402
from dezero_core import functions as F  # noqa: E402

REFERENCE = {"numpy forward": 0.44, "DeZero (book)": 13.7, "PyTorch eager": 3.9, "target": 4.0}


def dezero_fwd_bwd(x0: np.ndarray, n_ops: int) -> None:
    x = Variable(x0)
    y = x
    for i in range(n_ops):
        y = F.sin(y) if i % 2 else y * 1.0001
    F.sum(y).backward()


def dezero_fwd_no_grad(x0: np.ndarray, n_ops: int) -> None:
    with dz.no_grad():
        y = Variable(x0)
        for i in range(n_ops):
            y = F.sin(y) if i % 2 else y * 1.0001
        F.sum(y)


def numpy_fwd(x0: np.ndarray, n_ops: int) -> None:
    y = x0
    for i in range(n_ops):
        y = np.sin(y) if i % 2 else y * 1.0001
    np.sum(y)


def numpy_fwd_bwd(x0: np.ndarray, n_ops: int) -> None:
    inputs = []
    y = x0
    for i in range(n_ops):
        inputs.append(y)
        y = np.sin(y) if i % 2 else y * 1.0001
    np.sum(y)
    gy = np.ones_like(y)
    for i in reversed(range(n_ops)):
        gy = gy * np.cos(inputs[i]) if i % 2 else gy * 1.0001


def torch_workload() -> Callable[[np.ndarray, int], None] | None:
    torch = import_torch()
    if torch is None:
        return None

    def torch_fwd_bwd(x0: np.ndarray, n_ops: int) -> None:
        x = torch.tensor(x0, requires_grad=True)
        y = x
        for i in range(n_ops):
            y = torch.sin(y) if i % 2 else y * 1.0001
        y.sum().backward()

    return torch_fwd_bwd


def measure(workloads: dict[str, Callable[[np.ndarray, int], None]], n_ops: int, size: int,
            rounds: int) -> dict[str, float]:
    """Median microseconds per operation of each workload, run interleaved ``rounds`` times."""
    x0 = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    for fn in workloads.values():  # warm up: imports, caches, first-call costs
        fn(x0, n_ops)
    times: dict[str, list[float]] = {name: [] for name in workloads}
    for _ in range(rounds):
        for name, fn in workloads.items():
            start = time.perf_counter()
            fn(x0, n_ops)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) / n_ops * 1e6 for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=1000, help="operations in the chain")
    parser.add_argument("--size", type=int, default=10, help="elements of the float32 vector")
    parser.add_argument("--rounds", type=int, default=30, help="interleaved repetitions (median)")
    parser.add_argument("--threads", default="1", help="BLAS and PyTorch threads (read by bench_mlp at import)")
    args = parser.parse_args()

    workloads: dict[str, Callable[[np.ndarray, int], None]] = {
        "numpy forward": numpy_fwd,
        "numpy forward + hand-written backward": numpy_fwd_bwd,
        "dezero_core forward + backward": dezero_fwd_bwd,
        "dezero_core forward under no_grad": dezero_fwd_no_grad,
    }
    torch_fn = torch_workload()
    if torch_fn is not None:
        workloads["PyTorch eager forward + backward"] = torch_fn
    us = measure(workloads, args.ops, args.size, args.rounds)

    base = us["numpy forward"]
    print(f"chain of {args.ops} tiny elementwise ops (sin, * 1.0001) on float32[{args.size}], "
          f"median of {args.rounds} interleaved rounds, BLAS threads {THREADS}")
    print(f"{'':42s} {'us/op':>8s} {'x numpy fwd':>12s}")
    for name, value in us.items():
        print(f"{name:42s} {value:8.2f} {value / base:12.2f}")
    if torch_fn is None:
        print(f"{'PyTorch eager forward + backward':42s} {'skipped: torch is not importable':>21s}")
    target_ratio = REFERENCE["target"] / REFERENCE["numpy forward"]
    ours = us["dezero_core forward + backward"] / base
    print(f"target: <= {REFERENCE['target']} us/op where numpy forward is {REFERENCE['numpy forward']} us/op, "
          f"i.e. <= {target_ratio:.1f} x numpy forward (DeZero {REFERENCE['DeZero (book)'] / REFERENCE['numpy forward']:.1f} x, "
          f"PyTorch {REFERENCE['PyTorch eager'] / REFERENCE['numpy forward']:.1f} x there); "
          f"here {ours:.1f} x: {'met' if ours <= target_ratio else 'NOT met'}")


if __name__ == "__main__":
    main()
