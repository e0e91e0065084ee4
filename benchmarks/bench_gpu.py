"""MLP 784-1000-1000-10 training throughput on an NVIDIA GPU: dezero_core on cupy vs PyTorch CUDA.

Workload (issue 5): Fashion-MNIST (random data of the same shape when the dataset is not installed,
said in the output), batch 100, float32, ReLU, softmax cross-entropy, Adam(lr=0.001). Throughput is
training samples per second over ``--steps`` steps, after ``--warmup`` steps that compile cupy's
kernels and initialise cuBLAS (not timed). The device is synchronised before the clock starts and
before it stops, so queued work is counted. Implementations alternate (A B C A B C ...) and the
median of ``--repeats`` runs is reported, with ratios to PyTorch CUDA eager:

- ``dezero_core cupy``: this project on the GPU; **target: >= 0.8x PyTorch CUDA eager**;
- ``PyTorch CUDA eager``: the reference, when ``import torch`` works and CUDA is available to it;
- ``dezero_core numpy``: this project on the CPU, for scale (``--cpu-steps``, BLAS threads pinned).

All start from the same weights and see the same batches. The training data is put on the device
once before timing, for both GPU implementations alike: the figure is training, not the PCIe bus.
``--accuracy`` also trains dezero_core on cupy and PyTorch on CUDA for 5 epochs from the same
weights and batch order and reports both test accuracies (they must agree within 0.5 points).

Without a usable GPU it prints why and exits with status 0: nothing is timed.

    python benchmarks/bench_gpu.py [--steps 600] [--warmup 20] [--cpu-steps 100] [--repeats 3] [--accuracy]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

# bench_mlp (same directory) pins the BLAS threads before numpy loads and owns the data loading, the
# seeded initial weights and the networks built from them: both benchmarks train exactly the same model.
from bench_mlp import BATCH, LR, THREADS, initial_weights, load_data, ours_mlp, torch_mlp

import numpy as np  # noqa: E402  (after bench_mlp: BLAS threads are pinned)

import dezero_core as dz  # noqa: E402
from dezero_core import functions as F  # noqa: E402
from dezero_core.optimizers import Adam  # noqa: E402

SIZES = (1000, 1000, 10)
TARGET = 0.8  # dezero_core cupy throughput / PyTorch CUDA eager throughput

Steps = Callable[[int, int], None]  # run(first_batch, n_batches): trains on batches first .. first+n-1


def host_weights() -> list[tuple[np.ndarray, np.ndarray]]:
    """The seeded initial (W, b) of every layer as numpy arrays (auto selection would put them on the GPU)."""
    with dz.using_backend("numpy"):
        return initial_weights(SIZES, 0)


def cupy_or_reason() -> tuple[Any, str | None]:
    """The cupy backend when usable, else None and why not."""
    from dezero_core.backend.selection import BackendError, get_backend

    try:
        return get_backend("cupy"), None
    except BackendError as exc:
        return None, str(exc)


# -- the implementations ----------------------------------------------------------------------------
def dezero_run(backend: Any, x: np.ndarray, t: np.ndarray, order: np.ndarray) -> tuple[Steps, Any]:
    """Training steps of dezero_core on ``backend`` from :func:`host_weights`, and the model.

    The data is moved to the backend once; batch ``k`` is ``order[k*BATCH:(k+1)*BATCH]``.
    """
    with dz.using_backend("numpy"):
        model = ours_mlp(host_weights())
    model.to(backend.name)
    optimizer = Adam(lr=LR).setup(model)
    xd, td = backend.from_host(x), backend.from_host(t)
    batches = [backend.from_host(order[i:i + BATCH]) for i in range(0, len(order), BATCH)]

    def run(first: int, n: int) -> None:
        with dz.using_backend(backend.name):
            for k in range(first, first + n):
                idx = batches[k % len(batches)]
                loss = F.softmax_cross_entropy(model(xd[idx]), td[idx])
                model.cleargrads()
                loss.backward()
                optimizer.update()
        backend.synchronize()

    return run, model


def torch_run(weights: list, x: np.ndarray, t: np.ndarray, order: np.ndarray) -> tuple[Steps, Any] | None:
    """Training steps of PyTorch eager on CUDA from ``weights``, and the network; None without
    torch or without CUDA in it."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    device = torch.device("cuda")
    net = torch_mlp(torch, weights).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)  # PyTorch's default (foreach) Adam on CUDA
    loss_fn = torch.nn.CrossEntropyLoss()
    xd, td = torch.from_numpy(x).to(device), torch.from_numpy(t).to(device)
    batches = [torch.from_numpy(order[i:i + BATCH]).to(device) for i in range(0, len(order), BATCH)]

    def run(first: int, n: int) -> None:
        for k in range(first, first + n):
            idx = batches[k % len(batches)]
            loss = loss_fn(net(xd[idx]), td[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        torch.cuda.synchronize()

    return run, net


# -- the measurement -------------------------------------------------------------------------------
def throughputs(runs: dict[str, tuple[Steps, int]], warmup: int, repeats: int) -> dict[str, list[float]]:
    """Samples per second of each run, alternated, ``repeats`` times; ``runs``: name -> (run, steps)."""
    for run, _ in runs.values():
        run(0, warmup)
    results: dict[str, list[float]] = {name: [] for name in runs}
    position = warmup
    for _ in range(repeats):
        for name, (run, steps) in runs.items():
            start = time.perf_counter()
            run(position, steps)  # ends with a device synchronisation
            results[name].append(steps * BATCH / (time.perf_counter() - start))
        position += max(steps for _, steps in runs.values())
    return results


def test_accuracy(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, t: np.ndarray) -> float:
    return float((predict(x).argmax(axis=1) == t).mean())


def accuracies(gpu: Any, data: tuple, epochs: int = 5) -> tuple[float, float | None]:
    """Test accuracy of dezero_core on cupy and of PyTorch on CUDA after ``epochs`` identical epochs."""
    x, t, x_test, t_test = data[:4]
    order = np.concatenate([np.random.default_rng(100 + e).permutation(len(x)) for e in range(epochs)])
    steps = len(order) // BATCH
    run, model = dezero_run(gpu, x, t, order)
    run(0, steps)

    def predict_ours(xs: np.ndarray) -> np.ndarray:
        with dz.using_backend(gpu.name), dz.no_grad(), dz.test_mode():
            return gpu.to_host(model(gpu.from_host(xs)).data)

    theirs = torch_run(host_weights(), x, t, order)
    if theirs is None:
        return test_accuracy(predict_ours, x_test, t_test), None
    run_theirs, net = theirs
    run_theirs(0, steps)
    import torch

    def predict_theirs(xs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(xs).cuda()).cpu().numpy()

    return test_accuracy(predict_ours, x_test, t_test), test_accuracy(predict_theirs, x_test, t_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=600, help="timed steps per GPU run (600 = one epoch)")
    parser.add_argument("--cpu-steps", type=int, default=100, help="timed steps per CPU run (0: skip the CPU)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps before timing")
    parser.add_argument("--repeats", type=int, default=3, help="runs per implementation (alternated)")
    parser.add_argument("--threads", default="1", help="BLAS threads of the CPU run (read by bench_mlp)")
    parser.add_argument("--accuracy", action="store_true", help="also compare test accuracy after 5 epochs")
    args = parser.parse_args()

    gpu, reason = cupy_or_reason()
    if gpu is None:
        print(f"skipped: no usable CUDA device for dezero_core's cupy backend, nothing was timed.\n  {reason}")
        return

    data = load_data()
    x, t = data[0], data[1]
    order = np.random.default_rng(1).permutation(len(x))
    runs: dict[str, tuple[Steps, int]] = {"dezero_core cupy": (dezero_run(gpu, x, t, order)[0], args.steps)}
    torch = torch_run(host_weights(), x, t, order)
    if torch is not None:
        runs["PyTorch CUDA eager"] = (torch[0], args.steps)
    if args.cpu_steps > 0:
        runs["dezero_core numpy"] = (dezero_run(dz.get_backend("numpy"), x, t, order)[0], args.cpu_steps)

    import cupy

    device = gpu.devices()[0]
    name = cupy.cuda.runtime.getDeviceProperties(device.id)["name"]
    print(f"data: {data[4]}")
    print(f"device: {name.decode() if isinstance(name, bytes) else name}, cupy {cupy.__version__}; "
          f"MLP 784-{'-'.join(map(str, SIZES))} (ReLU), batch {BATCH}, float32, Adam(lr={LR}); "
          f"{args.repeats} alternated runs each, medians; CPU BLAS threads {THREADS}")
    results = throughputs(runs, args.warmup, args.repeats)
    medians = {n: statistics.median(r) for n, r in results.items()}
    base = medians.get("PyTorch CUDA eager")
    for n, samples in results.items():
        ratio = f"{medians[n] / base:5.2f}x PyTorch" if base else ""
        print(f"  {n:20s} {medians[n]:10.0f} samples/s  {ratio}  (runs: {', '.join(f'{s:.0f}' for s in samples)})")
    if base is None:
        print("  PyTorch CUDA eager not timed (torch is not importable or has no CUDA): target not checked")
    else:
        ratio = medians["dezero_core cupy"] / base
        print(f"  target >= {TARGET}x PyTorch: {'met' if ratio >= TARGET else 'NOT met'} ({ratio:.2f}x)")
    if args.accuracy:
        ours, theirs = accuracies(gpu, data)
        if theirs is None:
            print(f"  test accuracy after 5 epochs: dezero_core cupy {ours:.4f} (no PyTorch to compare with)")
        else:
            gap = abs(ours - theirs) * 100
            print(f"  test accuracy after 5 epochs: dezero_core cupy {ours:.4f}, PyTorch CUDA {theirs:.4f} "
                  f"(gap {gap:.2f} points; must be <= 0.5: {'ok' if gap <= 0.5 else 'NOT ok'})")


if __name__ == "__main__":
    main()
