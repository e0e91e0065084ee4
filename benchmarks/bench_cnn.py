"""CNN training speed against PyTorch CPU eager (issue 3's convolution workload).

Workload: conv(1->16, 3x3, pad 1) - relu - maxpool 2 - conv(16->32, 3x3, pad 1) - relu - maxpool 2
- linear(1568->10), softmax cross-entropy, Adam(lr=0.001), batch 100, float32, one "epoch" of
10,000 Fashion-MNIST training images (random data of the same shape when the dataset is not
installed, said in the output). Target: dezero_core <= 2.0x PyTorch eager (the book's DeZero: 7.5x).

Both start from the same weights and see the batches in the same order; the loss of each one's last
batch is printed as a check that they compute the same training (it agrees to float32 rounding).
Implementations alternate (A B A B ..., one epoch each) and the ratio of the medians is reported;
BLAS and PyTorch threads are pinned to the same number (``--threads``, default 1). Without
``import torch`` (never a dependency of the project: ``pip install torch`` to compare) the PyTorch
column is skipped and only our epoch time is printed.

    python benchmarks/bench_cnn.py [--repeats 3] [--threads 1] [--images 10000] [--profile]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

from bench_mlp import THREADS, import_torch, load_data  # noqa: E402  (pins the BLAS threads before numpy loads)

import numpy as np  # noqa: E402

import dezero_core as dz  # noqa: E402
from dezero_core import functions as F  # noqa: E402
from dezero_core import layers as L  # noqa: E402
from dezero_core.models import Model  # noqa: E402
from dezero_core.optimizers import Adam  # noqa: E402

BATCH = 100
LR = 0.001
TARGET = 2.0


class CNN(Model):
    """conv16 - relu - pool - conv32 - relu - pool - linear 10, on (N, 1, 28, 28) images."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = L.Conv2d(16, 3, pad=1, in_channels=1)
        self.conv2 = L.Conv2d(32, 3, pad=1, in_channels=16)
        self.fc = L.Linear(10, in_size=32 * 7 * 7)

    def forward(self, x: Any) -> Any:
        x = F.pooling(F.relu(self.conv1(x)), 2, 2)
        x = F.pooling(F.relu(self.conv2(x)), 2, 2)
        return self.fc(F.reshape(x, (x.shape[0], -1)))


Epoch = Callable[[np.ndarray, np.ndarray, np.ndarray], float]  # (x, t, order) -> the last batch's loss


def ours_setup(seed: int) -> tuple[CNN, Epoch]:
    dz.random.seed(seed)
    model = CNN()
    optimizer = Adam(lr=LR).setup(model)

    def epoch(x: np.ndarray, t: np.ndarray, order: np.ndarray) -> float:
        for i in range(0, len(order), BATCH):
            idx = order[i:i + BATCH]
            loss = F.softmax_cross_entropy(model(x[idx]), t[idx])
            model.cleargrads()
            loss.backward()
            optimizer.update()
        return float(loss.data)

    return model, epoch


def torch_setup(model: CNN) -> Epoch | None:
    """The same network in PyTorch, from ``model``'s weights; None when torch is not importable."""
    torch = import_torch()
    if torch is None:
        return None
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10))
    with torch.no_grad():
        for ours, theirs in ((model.conv1, net[0]), (model.conv2, net[3])):
            theirs.weight.copy_(torch.from_numpy(ours.W.data))
            theirs.bias.copy_(torch.from_numpy(ours.b.data))
        net[7].weight.copy_(torch.from_numpy(model.fc.W.data.T.copy()))  # ours is (in, out)
        net[7].bias.copy_(torch.from_numpy(model.fc.b.data))
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(x: np.ndarray, t: np.ndarray, order: np.ndarray) -> float:
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)
        for i in range(0, len(order), BATCH):
            idx = torch.from_numpy(order[i:i + BATCH])
            loss = loss_fn(net(xt[idx]), tt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()

    return epoch


def time_epochs(x: np.ndarray, t: np.ndarray, repeats: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Epoch seconds per implementation, and each one's loss on its last batch (same for every repeat)."""
    order = np.random.default_rng(1).permutation(len(x))
    times: dict[str, list[float]] = {"dezero_core": []}
    losses: dict[str, float] = {}
    for _ in range(repeats):
        model, ours = ours_setup(0)
        runs = {"dezero_core": ours}
        theirs = torch_setup(model)
        if theirs is not None:
            times.setdefault("PyTorch eager", [])
            runs["PyTorch eager"] = theirs
        for name, run in runs.items():
            start = time.perf_counter()
            losses[name] = run(x, t, order)
            times[name].append(time.perf_counter() - start)
    return times, losses


def profile(x: np.ndarray, t: np.ndarray) -> None:
    """Where an epoch of ours spends its time, by function (cProfile, top 25)."""
    import cProfile
    import pstats

    _, ours = ours_setup(0)
    profiler = cProfile.Profile()
    profiler.runcall(ours, x, t, np.arange(len(x)))
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="epochs per implementation (alternated)")
    parser.add_argument("--threads", default="1", help="BLAS and PyTorch threads")
    parser.add_argument("--images", type=int, default=10000, help="training images per epoch")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one epoch of ours")
    args = parser.parse_args()

    x_all, t_all, _, _, description = load_data()
    x = np.ascontiguousarray(x_all[:args.images].reshape(-1, 1, 28, 28))
    t = t_all[:args.images]
    print(f"data: {description}; {len(x)} images")
    print(f"numpy {np.__version__}, threads {THREADS}, batch {BATCH}, float32, Adam(lr={LR}), "
          f"{args.repeats} alternated epochs each, medians")
    if args.profile:
        profile(x, t)
        return
    times, losses = time_epochs(x, t, args.repeats)
    for name, ts in times.items():
        print(f"  {name:15s} {statistics.median(ts):7.3f} s   (runs: {', '.join(f'{s:.3f}' for s in ts)})   "
              f"last batch loss {losses[name]:.5f}")
    if "PyTorch eager" not in times:
        print("  PyTorch eager   skipped: torch is not importable (pip install torch to compare)")
        return
    ratio = statistics.median(times["dezero_core"]) / statistics.median(times["PyTorch eager"])
    print(f"  dezero_core / PyTorch eager = {ratio:.2f}x; target <= {TARGET:.1f}x (the book's DeZero 7.5x): "
          f"{'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
