"""Eager cost of the integer/boolean Functions (argmax, a comparison, accuracy) and of embed_id, as
ratios to the array code they replaced (which computed on ``.data`` and returned a constant Variable:
no Function, so nothing a trace could record).

Each workload runs interleaved with its baseline (A B A B ..., CPU-time medians of ``--rounds``
rounds of ``--calls`` calls). A ratio near 1 means becoming a graph node cost eager mode nothing
measurable; the small-array rows show the per-call bookkeeping, the larger ones what a training loop
sees.

    python benchmarks/bench_discrete.py [--rounds 15] [--calls 2000]
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any, Callable

from bench_mlp import THREADS  # noqa: F401  # pins BLAS threads (--threads, default 1) before numpy loads

import numpy as np  # noqa: E402

from dezero_core import Variable  # noqa: E402
from dezero_core import functions as F  # noqa: E402
from dezero_core.backend.selection import backend_of  # noqa: E402
from dezero_core.functions.validation import check_class_layout, data_of, is_integral, require_float  # noqa: E402


# -- the replaced code (the baselines), as it was before these became Functions ------------------
def argmax_on_data(x: Any, axis: int | None = None, keepdims: bool = False) -> Variable:
    data = data_of(x)
    return Variable(backend_of(data).xp.argmax(data, axis=axis, keepdims=keepdims), requires_grad=False)


def greater_on_data(x1: Any, x2: Any) -> Variable:
    a, b = data_of(x1), data_of(x2)
    xp = backend_of(a if hasattr(a, "dtype") else b).xp
    return Variable(xp.greater(a, b), requires_grad=False)


def accuracy_on_data(y: Any, t: Any) -> Variable:
    check_class_layout("accuracy", y, t)
    scores, labels = data_of(y), data_of(t)
    xp = backend_of(scores).xp
    correct = xp.argmax(scores, axis=1) == labels
    return Variable(xp.sum(xp.astype(correct, scores.dtype)) / math.prod(labels.shape), requires_grad=False)


def embed_id_by_get_item(x: Any, W: Any) -> Variable:
    ids = data_of(x)
    if not hasattr(ids, "dtype") or not is_integral(ids):
        raise TypeError("ids x must be an integer array")
    require_float("embed_id", W, "W")
    xp = backend_of(ids).xp
    if math.prod(ids.shape) and bool(xp.logical_or(xp.min(ids) < 0, xp.max(ids) >= W.shape[0])):
        raise ValueError("ids out of range")
    return F.get_item(W, ids)


# -- workloads ----------------------------------------------------------------------------------
def workloads(batch: int, classes: int) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    rng = np.random.default_rng(0)
    y = Variable(rng.standard_normal((batch, classes)).astype(np.float32))
    t = rng.integers(0, classes, batch)
    W = Variable(rng.standard_normal((1000, 32)).astype(np.float32))
    ids = rng.integers(0, 1000, (batch, 20))
    gy = rng.standard_normal((batch, 20, 32)).astype(np.float32)

    def embed_step(embed: Callable[[np.ndarray, Variable], Variable]) -> Callable[[], None]:
        def run() -> None:
            W.cleargrad()
            F.sum(embed(ids, W) * gy).backward()
        return run

    return {
        "argmax": (lambda: F.argmax(y, axis=1), lambda: argmax_on_data(y, axis=1)),
        "greater": (lambda: F.greater(y, 0.0), lambda: greater_on_data(y, 0.0)),
        "accuracy": (lambda: F.accuracy(y, t), lambda: accuracy_on_data(y, t)),
        "embed_id fwd+bwd": (embed_step(F.embed_id), embed_step(embed_id_by_get_item)),
    }


def cpu_time(fn: Callable[[], Any], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args, _ = parser.parse_known_args()
    for batch, classes in ((8, 10), (256, 100)):
        print(f"batch {batch}, {classes} classes (embed_id: ids ({batch}, 20), table (1000, 32))")
        for name, (new, old) in workloads(batch, classes).items():
            calls = max(args.calls // (20 if "embed" in name else 1), 10)
            new(), old()  # warm caches
            ratios, news = [], []
            for _ in range(args.rounds):  # interleaved: A B A B ...
                a, b = cpu_time(new, calls), cpu_time(old, calls)
                ratios.append(a / b)
                news.append(a)
            print(f"  {name:18s} {statistics.median(news) * 1e6:8.2f} us/call   ratio to the old array code: "
                  f"median {statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
