"""MLP training speed against a hand-written numpy implementation of the same training.

Workload (issue 3): Fashion-MNIST (random data of the same shape when the dataset is not installed,
said in the output), batch 100, float32, Adam(lr=0.001), one epoch of

- MLP 784-1000-1000-10 with ReLU: target <= 1.0x the hand-written numpy epoch;
- MLP 784-100-10 with ReLU: target <= 1.2x.

The hand-written implementation is what one writes directly in numpy: forward, backward and the
textbook Adam full of temporaries (``m += (1 - b1) * (g - m)`` ...). Both start from the same weights
and see the batches in the same order. Implementations alternate (A B A B ..., one epoch each) and
the ratio of the medians is reported; BLAS threads are pinned (``--threads``, default 1). PyTorch
eager is timed too when ``import torch`` works (never a dependency of the project).

``--accuracy`` also trains both for 5 epochs from the same seed and reports their test accuracy
(they must agree within 0.5 points).

    python benchmarks/bench_mlp.py [--repeats 3] [--threads 1] [--accuracy] [--only 1000|100]
"""
from __future__ import annotations

import argparse
import gzip
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable


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

DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
BATCH = 100
LR = 0.001
TARGETS = {(1000, 1000, 10): 1.0, (100, 10): 1.2}
REFERENCE = {(1000, 1000, 10): "PyTorch eager 1.11x, DeZero (book) 2.96x",
             (100, 10): "PyTorch eager 1.41x, DeZero (book) 2.5x"}


# -- data ------------------------------------------------------------------------------------------
def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """(x_train, t_train, x_test, t_test, description): float32 in [0, 1], shape (N, 784)."""
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    if all((DATA_DIR / n).is_file() for n in names):
        xs, ts, xt, tt = (_read_idx(DATA_DIR / n) for n in names)
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


def hand_epoch(model: HandWritten, x: np.ndarray, t: np.ndarray, order: np.ndarray) -> None:
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        model.step(x[idx], t[idx])


# -- ours ------------------------------------------------------------------------------------------
def ours_epoch(model: MLP, optimizer: Adam, x: np.ndarray, t: np.ndarray, order: np.ndarray) -> None:
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        loss = F.softmax_cross_entropy(model(x[idx]), t[idx])
        model.cleargrads()
        loss.backward()
        optimizer.update()


def ours_predict(model: MLP, x: np.ndarray) -> np.ndarray:
    with dz.no_grad(), dz.test_mode():
        return model(x).data


# -- PyTorch, when installed -----------------------------------------------------------------------
def torch_setup(weights: list[tuple[np.ndarray, np.ndarray]]) -> tuple[Any, Callable] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(THREADS))
    layers: list[Any] = []
    for i, (W, b) in enumerate(weights):
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear] + ([torch.nn.ReLU()] if i < len(weights) - 1 else [])
    net = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(x: np.ndarray, t: np.ndarray, order: np.ndarray) -> None:
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)
        for i in range(0, len(order), BATCH):
            idx = torch.from_numpy(order[i:i + BATCH])
            loss = loss_fn(net(xt[idx]), tt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return net, epoch


# -- the measurement -------------------------------------------------------------------------------
def initial_weights(sizes: tuple[int, ...], seed: int) -> tuple[MLP, list[tuple[np.ndarray, np.ndarray]]]:
    """Our MLP from ``seed`` and a copy of its initial weights (for the other implementations)."""
    dz.random.seed(seed)
    model = MLP(sizes, activation=F.relu, in_size=784)
    weights = [(layer.W.data.copy(), layer.b.data.copy()) for layer in model.layers]
    return model, weights


def time_epochs(sizes: tuple[int, ...], data: tuple, repeats: int) -> dict[str, list[float]]:
    x, t = data[0], data[1]
    order = np.random.default_rng(1).permutation(len(x))
    times: dict[str, list[float]] = {"hand-written numpy": [], "dezero_core": []}
    has_torch = torch_setup(initial_weights(sizes, 0)[1]) is not None
    if has_torch:
        times["PyTorch eager"] = []
    for _ in range(repeats):
        model, weights = initial_weights(sizes, 0)
        hand = HandWritten(weights)
        runs = {"hand-written numpy": lambda: hand_epoch(hand, x, t, order),
                "dezero_core": lambda: ours_epoch(model, Adam(lr=LR).setup(model), x, t, order)}
        if has_torch:
            epoch = torch_setup(weights)[1]  # type: ignore[index]
            runs["PyTorch eager"] = lambda: epoch(x, t, order)
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def accuracies(sizes: tuple[int, ...], data: tuple, epochs: int = 5) -> tuple[float, float]:
    x, t, x_test, t_test = data[:4]
    model, weights = initial_weights(sizes, 0)
    optimizer = Adam(lr=LR).setup(model)
    hand = HandWritten(weights)
    for epoch in range(epochs):
        order = np.random.default_rng(100 + epoch).permutation(len(x))
        ours_epoch(model, optimizer, x, t, order)
        hand_epoch(hand, x, t, order)
    ours = float((ours_predict(model, x_test).argmax(axis=1) == t_test).mean())
    theirs = float((hand.predict(x_test).argmax(axis=1) == t_test).mean())
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="epochs per implementation (alternated)")
    parser.add_argument("--threads", default="1", help="BLAS threads (OPENBLAS_NUM_THREADS)")
    parser.add_argument("--accuracy", action="store_true", help="also compare test accuracy after 5 epochs")
    parser.add_argument("--only", choices=["1000", "100"], help="run one of the two MLPs")
    args = parser.parse_args()

    data = load_data()
    print(f"data: {data[4]}")
    print(f"numpy {np.__version__}, BLAS threads {THREADS}, batch {BATCH}, float32, Adam(lr={LR}), "
          f"{args.repeats} alternated epochs each, medians")
    for sizes, target in TARGETS.items():
        if args.only and str(sizes[0]) != args.only:
            continue
        label = "MLP 784-" + "-".join(map(str, sizes))
        times = time_epochs(sizes, data, args.repeats)
        base = statistics.median(times["hand-written numpy"])
        print(f"\n{label} (ReLU), one epoch; book figures: {REFERENCE[sizes]}")
        for name, ts in times.items():
            median = statistics.median(ts)
            print(f"  {name:20s} {median:7.3f} s   {median / base:5.2f}x   (runs: {', '.join(f'{s:.3f}' for s in ts)})")
        ratio = statistics.median(times["dezero_core"]) / base
        print(f"  target <= {target:.1f}x: {'met' if ratio <= target else 'NOT met'} ({ratio:.2f}x)")
        if args.accuracy:
            ours, theirs = accuracies(sizes, data)
            gap = abs(ours - theirs) * 100
            print(f"  test accuracy after 5 epochs: dezero_core {ours:.4f}, hand-written {theirs:.4f} "
                  f"(gap {gap:.2f} points; must be <= 0.5: {'ok' if gap <= 0.5 else 'NOT ok'})")


if __name__ == "__main__":
    main()
