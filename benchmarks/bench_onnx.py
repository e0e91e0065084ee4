"""Inference latency: our eager forward vs our compiled forward vs the exported file in onnxruntime.

Workloads (issue 11): the Digits MLP (64-100-10, ReLU) and the small CNN of ``bench_cnn.py``
(conv16-pool-conv32-pool-linear on (N, 1, 28, 28)), float32, test mode, at batch 1 and batch 256.
Implementations alternate call by call (A B C A B C ...) and the median time per call of each is
reported, with its ratio to eager. BLAS and onnxruntime run on one thread (``--threads``). The
compiled column needs ``dezero_core.compile`` (the static-graph mode); without it the column says so.
Each side's output is compared with eager's first (the file computes the same, to float32 rounding).

    python benchmarks/bench_onnx.py [--calls 200] [--threads 1]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any, Callable

from bench_mlp import THREADS  # noqa: E402  (pins the BLAS threads before numpy loads)
from bench_cnn import CNN  # noqa: E402

import numpy as np  # noqa: E402

import dezero_core as dz  # noqa: E402
from dezero_core.config import no_grad, test_mode  # noqa: E402
from dezero_core.models import MLP  # noqa: E402

BATCHES = (1, 256)


def workloads() -> dict[str, tuple[Any, tuple[int, ...]]]:
    """name -> (model, shape of one sample)."""
    dz.random.seed(0)
    return {"Digits MLP 64-100-10": (MLP((100, 10)), (64,)), "small CNN (bench_cnn)": (CNN(), (1, 28, 28))}


def eager_call(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    def run(x: np.ndarray) -> np.ndarray:
        with test_mode(), no_grad():
            return model(x).data
    return run


def compiled_call(model: Any) -> Callable[[np.ndarray], np.ndarray] | str:
    """Our compiled forward, or why there is none."""
    compile_ = getattr(dz, "compile", None)
    if compile_ is None:
        return "dezero_core.compile is not available"
    try:
        f = compile_(model)
    except Exception as exc:  # a static-graph mode still in progress: say why, time the rest
        return f"dz.compile failed: {type(exc).__name__}: {exc}"[:120]

    def run(x: np.ndarray) -> np.ndarray:
        with test_mode(), no_grad():
            return f(x).data
    return run


def onnxruntime_call(model: Any, sample: tuple[int, ...], folder: str) -> Callable[[np.ndarray], np.ndarray] | str:
    try:
        import onnxruntime as ort
    except ImportError:
        return "onnxruntime is not installed (pip install 'dezero-onnx[runtime]')"
    import dezero_onnx

    path = os.path.join(folder, "model.onnx")
    dezero_onnx.export(model, np.zeros((1, *sample), np.float32), path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = int(THREADS)
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]


def measure(runs: dict[str, Callable[[np.ndarray], np.ndarray]], x: np.ndarray, calls: int) -> dict[str, float]:
    """Median seconds per call of each run, calls alternating between them."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(calls):
        for name, run in runs.items():
            start = time.perf_counter()
            run(x)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls of each implementation per size")
    parser.add_argument("--threads", default=THREADS, help="BLAS and onnxruntime threads (default 1)")
    args = parser.parse_args()
    print(f"threads: {THREADS}; median of {args.calls} alternating calls per implementation")
    with tempfile.TemporaryDirectory() as folder:
        for title, (model, sample) in workloads().items():
            eager = eager_call(model)
            eager(np.zeros((1, *sample), np.float32))  # lazy layers get their weights
            runs: dict[str, Any] = {"eager": eager, "compiled": compiled_call(model),
                                    "onnxruntime": onnxruntime_call(model, sample, folder)}
            missing = {k: v for k, v in runs.items() if isinstance(v, str)}
            runs = {k: v for k, v in runs.items() if not isinstance(v, str)}
            for batch in BATCHES:
                x = np.random.default_rng(batch).standard_normal((batch, *sample)).astype(np.float32)
                want = eager(x)
                for name, run in runs.items():
                    np.testing.assert_allclose(run(x), want, rtol=1e-4, atol=1e-5, err_msg=name)
                medians = measure(runs, x, args.calls)
                cells = "  ".join(f"{name} {medians[name] * 1e6:9.1f} us ({medians[name] / medians['eager']:.2f}x)"
                                  for name in runs)
                print(f"{title:24s} batch {batch:3d}:  {cells}")
            for name, why in missing.items():
                print(f"{title:24s} {name}: {why}")


if __name__ == "__main__":
    main()
