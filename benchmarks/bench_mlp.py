"""MLP training speed against a hand-written numpy implementation of the same training.

Workload (issue 3): Fashion-MNIST (random data of the same shape when the dataset is not installed,
said in the output), batch 100, float32, Adam(lr=0.001), one epoch of

- MLP 784-1000-1000-10 with ReLU: target <= 1.0x the hand-written numpy epoch;
- MLP 784-100-10 with ReLU: target <= 1.2x.

The hand-written implementation is what one writes directly in numpy: forward, backward and the
textbook Adam full of temporaries (``m += (1 - b1) * (g - m)`` ...). Both start from the same weights
and see the batches in the same order. Implementations alternate (A B A B ..., every ``--chunk``
batches, so that a shared machine's load falls on all alike) and the ratio of the medians is reported; BLAS threads are pinned (``--threads``, default 1). PyTorch
eager is timed too when ``import torch`` works (never a dependency of the project).

``--accuracy`` also trains both for 5 epochs from the same seed and reports their test accuracy
(they must agree within 0.5 points).

    python benchmarks/bench_mlp.py [--repeats 3] [--chunk 20] [--threads 1] [--accuracy] [--only 1000|100]
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, ContextManager, Hashable, TypeVar


def _threads_from_argv(default: str = "1") -> str:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return default


THREADS = _threads_from_argv()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS  # before numpy loads: its BLAS reads them once

import numpy as np  # noqa: E402

import dezero_core as dz  # noqa: E402
from dezero_core import functions as F  # noqa: E402
from dezero_core.models import MLP  # noqa: E402
from dezero_core.optimizers import Adam  # noqa: E402
from dezero_datasets.mnist import read_idx  # noqa: E402

DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
BATCH = 100
LR = 0.001
TARGETS = {(1000, 1000, 10): 1.0, (100, 10): 1.2}
REFERENCE = {(1000, 1000, 10): "PyTorch eager 1.11x, DeZero (book) 2.96x",
             (100, 10): "PyTorch eager 1.41x, DeZero (book) 2.5x"}


# -- data ------------------------------------------------------------------------------------------
def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """(x_train, t_train, x_test, t_test, description): float32 in [0, 1], shape (N, 784)."""
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    if all((DATA_DIR / n).is_file() for n in names):
        xs, ts, xt, tt = (read_idx(DATA_DIR / n) for n in names)
        prepare = lambda x: (x.reshape(len(x), -1).astype(np.float32) / 255.0)  # noqa: E731
        return prepare(xs), ts.astype(np.int64), prepare(xt), tt.astype(np.int64), f"Fashion-MNIST from {DATA_DIR}"
    rng = np.random.default_rng(0)
    return (rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000),
            rng.random((10000, 784), dtype=np.float32), rng.integers(0, 10, 10000),
            f"RANDOM data of Fashion-MNIST's shape ({DATA_DIR} not found: apt-get install dataset-fashion-mnist); "
            "accuracies are meaningless")


# -- the hand-written numpy implementation ---------------------------------------------------------
class HandWritten:
    """An MLP with ReLU, softmax cross-entropy and the textbook Adam, written directly in numpy."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.params = [p.copy() for pair in weights for p in pair]  # W0, b0, W1, b1, ...
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        for i in range(0, len(self.params) - 2, 2):
            x = np.maximum(x @ self.params[i] + self.params[i + 1], 0)
        return x @ self.params[-2] + self.params[-1]

    def step(self, x: np.ndarray, t: np.ndarray) -> None:
        hs = [x]
        for i in range(0, len(self.params) - 2, 2):
            hs.append(np.maximum(hs[-1] @ self.params[i] + self.params[i + 1], 0))
        z = hs[-1] @ self.params[-2] + self.params[-1]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        # backward of the mean cross-entropy
        g = p
        g[np.arange(len(t)), t] -= 1
        g /= len(t)
        grads = [None] * len(self.params)
        for layer in range(len(self.params) // 2 - 1, -1, -1):
            W, h = self.params[2 * layer], hs[layer]
            grads[2 * layer] = h.T @ g
            grads[2 * layer + 1] = g.sum(axis=0)
            if layer > 0:
                g = (g @ W.T) * (h > 0)
        self.adam(grads)

    def adam(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = 0.9, 0.999
        lr_t = LR * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (1 - b1) * (g - m)
            v += (1 - b2) * (g * g - v)
            p -= lr_t * m / (np.sqrt(v) + 1e-8)


def hand_trainer(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, t: np.ndarray
                 ) -> tuple[Callable[[np.ndarray], None], Callable[[np.ndarray], np.ndarray]]:
    """(step on the batch of these indices, predict) of the hand-written implementation."""
    model = HandWritten(weights)
    return (lambda idx: model.step(x[idx], t[idx])), model.predict


# -- ours ------------------------------------------------------------------------------------------
def ours_trainer(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, t: np.ndarray,
                 flush_denormal: bool = True
                 ) -> tuple[Callable[[np.ndarray], None], Callable[[np.ndarray], np.ndarray]]:
    """(step, predict) of dezero_core: MLP with ReLU, softmax_cross_entropy, Adam (whose updates
    flush denormals unless ``flush_denormal`` is False: the default, and its cost, are measured)."""
    model = ours_mlp(weights)
    optimizer = Adam(lr=LR).setup(model)
    optimizer.flush_denormal = flush_denormal

    def step(idx: np.ndarray) -> None:
        loss = F.softmax_cross_entropy(model(x[idx]), t[idx])
        model.cleargrads()
        loss.backward()
        optimizer.update()

    def predict(inputs: np.ndarray) -> np.ndarray:
        with dz.no_grad(), dz.test_mode():
            return model(inputs).data

    return step, predict


# -- PyTorch, when installed -----------------------------------------------------------------------
def import_torch() -> Any:
    """``torch`` with its CPU threads pinned to :data:`THREADS`, as BLAS's are; None when it is not
    importable (it is never a dependency of the project)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(THREADS))
    return torch


def torch_trainer(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, t: np.ndarray
                  ) -> tuple[Callable[[np.ndarray], None], Callable[[np.ndarray], np.ndarray]] | None:
    """(step, predict) of PyTorch eager with the same weights, or None when torch is not installed."""
    torch = import_torch()
    if torch is None:
        return None
    net = torch_mlp(torch, weights)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)

    def step(idx: np.ndarray) -> None:
        i = torch.from_numpy(idx)
        loss = loss_fn(net(xt[i]), tt[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def predict(inputs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(inputs)).numpy()

    return step, predict


# -- the models, from one set of weights -----------------------------------------------------------
def ours_mlp(weights: list[tuple[np.ndarray, np.ndarray]]) -> MLP:
    """Our MLP with ReLU, holding copies of ``weights`` (one (W, b) per layer, W of shape (in, out))."""
    model = MLP(tuple(W.shape[1] for W, _ in weights), activation=F.relu, in_size=weights[0][0].shape[0])
    for layer, (W, b) in zip(model.layers, weights):
        layer.W.data[...] = W
        layer.b.data[...] = b
    return model


def torch_mlp(torch: Any, weights: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    """The same network in PyTorch (a CPU ``torch.nn.Sequential``), holding copies of ``weights``."""
    layers: list[Any] = []
    for i, (W, b) in enumerate(weights):
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch's is (out, in)
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear] + ([torch.nn.ReLU()] if i < len(weights) - 1 else [])
    return torch.nn.Sequential(*layers)


# -- the measurement -------------------------------------------------------------------------------
def initial_weights(sizes: tuple[int, ...], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The initial (W, b) of our MLP seeded with ``seed``, shared by every implementation."""
    dz.random.seed(seed)
    model = MLP(sizes, activation=F.relu, in_size=784)
    return [(layer.W.data.copy(), layer.b.data.copy()) for layer in model.layers]


TRAINERS = {"hand-written numpy": hand_trainer, "dezero_core": ours_trainer, "PyTorch eager": torch_trainer}


Run = TypeVar("Run", bound=Hashable)


def alternate(steps: dict[Run, Callable[[np.ndarray], None]], batches: list[np.ndarray], chunk: int,
              mode: Callable[[Run], ContextManager[Any]] = lambda run: contextlib.nullcontext()
              ) -> dict[Run, float]:
    """Seconds each of ``steps`` spends on all of ``batches`` (each a batch's indices).

    The runs alternate every ``chunk`` batches (A B C A B C ..., the order rotating), so that the load
    of a shared machine falls on all of them alike; each chunk runs inside ``mode(run)``.
    """
    runs = list(steps)
    spent = dict.fromkeys(runs, 0.0)
    for c, first in enumerate(range(0, len(batches), chunk)):
        for run in runs[c % len(runs):] + runs[:c % len(runs)]:
            step = steps[run]
            with mode(run):
                start = time.perf_counter()
                for idx in batches[first:first + chunk]:
                    step(idx)
                spent[run] += time.perf_counter() - start
    return spent


def time_epochs(sizes: tuple[int, ...], data: tuple, repeats: int, chunk: int) -> dict[str, list[float]]:
    """Seconds per epoch of each implementation, ``repeats`` epochs each, alternating every ``chunk``
    batches (see :func:`alternate`)."""
    x, t = data[0], data[1]
    order = np.random.default_rng(1).permutation(len(x))
    batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
    times: dict[str, list[float]] = {}
    for _ in range(repeats):
        weights = initial_weights(sizes, 0)
        steps = {name: make(weights, x, t) for name, make in TRAINERS.items()}
        steps = {name: pair[0] for name, pair in steps.items() if pair is not None}
        for name, seconds in alternate(steps, batches, chunk).items():
            times.setdefault(name, []).append(seconds)
    return times


def accuracies(sizes: tuple[int, ...], data: tuple, epochs: int = 5) -> dict[str, float]:
    """Test accuracy of each implementation after ``epochs`` epochs from the same weights and batches."""
    x, t, x_test, t_test = data[:4]
    weights = initial_weights(sizes, 0)
    trainers = {name: make(weights, x, t) for name, make in TRAINERS.items()}
    trainers = {name: pair for name, pair in trainers.items() if pair is not None}
    for epoch in range(epochs):
        order = np.random.default_rng(100 + epoch).permutation(len(x))
        for i in range(0, len(order), BATCH):
            for step, _ in trainers.values():
                step(order[i:i + BATCH])
    return {name: float((predict(x_test).argmax(axis=1) == t_test).mean()) for name, (_, predict) in trainers.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="epochs per implementation")
    parser.add_argument("--chunk", type=int, default=20, help="batches run before switching implementation")
    parser.add_argument("--threads", default="1", help="BLAS threads (OPENBLAS_NUM_THREADS, torch)")
    parser.add_argument("--accuracy", action="store_true", help="also compare test accuracy after 5 epochs")
    parser.add_argument("--only", choices=["1000", "100"], help="run one of the two MLPs")
    args = parser.parse_args()

    data = load_data()
    print(f"data: {data[4]}")
    print(f"numpy {np.__version__}, BLAS threads {THREADS}, batch {BATCH}, float32, Adam(lr={LR}); "
          f"{args.repeats} epochs each, alternating every {args.chunk} batches; medians")
    for sizes, target in TARGETS.items():
        if args.only and str(sizes[0]) != args.only:
            continue
        label = "MLP 784-" + "-".join(map(str, sizes))
        times = time_epochs(sizes, data, args.repeats, args.chunk)
        base = statistics.median(times["hand-written numpy"])
        print(f"\n{label} (ReLU), one epoch; on the reference machine: {REFERENCE[sizes]}")
        for name, ts in times.items():
            median = statistics.median(ts)
            print(f"  {name:20s} {median:7.3f} s   {median / base:5.2f}x   (epochs: {', '.join(f'{s:.3f}' for s in ts)})")
        ratio = statistics.median(times["dezero_core"]) / base
        print(f"  target <= {target:.1f}x: {'met' if ratio <= target else 'NOT met'} ({ratio:.2f}x)")
        if args.accuracy:
            accuracy = accuracies(sizes, data)
            gap = abs(accuracy["dezero_core"] - accuracy["hand-written numpy"]) * 100
            print("  test accuracy after 5 epochs: " + ", ".join(f"{n} {a:.4f}" for n, a in accuracy.items())
                  + f" (dezero_core vs hand-written: {gap:.2f} points; must be <= 0.5: {'ok' if gap <= 0.5 else 'NOT ok'})")


if __name__ == "__main__":
    main()
