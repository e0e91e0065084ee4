"""What the Trainer costs: one ``fit`` epoch against the same loop written by hand (target ≤ 1.02×).

Both sides train the same MLP (ReLU, float32) with Adam(lr=0.001) on the same batches (same seed)
and measure the same things per batch (loss and accuracy, as the book's loop does); the Trainer adds
its hooks and bookkeeping. Runs alternate hand, Trainer, Trainer + ProgressBar, hand, ... and the
figure is the median of the per-round ratios. Data: bench_mlp's, Fashion-MNIST from Debian's
``dataset-fashion-mnist`` when installed, else random data of the same shape (said in the output),
as flat float32 arrays (no per-batch transform: both sides would pay for it alike).

    python benchmarks/bench_trainer.py [--samples 20000] [--rounds 7] [--threads 1]
"""
from __future__ import annotations

import argparse
import io
import statistics
import time

import bench_mlp  # pins BLAS threads (--threads, default 1) before numpy loads; owns the data loading

import dezero_core  # noqa: E402
from dezero_core import functions as F  # noqa: E402
from dezero_core.data import DataLoader, Dataset  # noqa: E402
from dezero_core.models import MLP  # noqa: E402
from dezero_core.optimizers import Adam  # noqa: E402
from dezero_core.training import ProgressBar, Trainer  # noqa: E402

def load_data(samples: int) -> tuple[Dataset, str]:
    """The first ``samples`` training images, flat float32 in [0, 1] (see ``bench_mlp.load_data``)."""
    x, t, _, _, description = bench_mlp.load_data()
    return Dataset(x[:samples], t[:samples]), description


def setup(dataset: Dataset, hidden: tuple[int, ...], batch: int) -> tuple[MLP, Adam, DataLoader]:
    """A fresh model, optimizer and loader, identical in every run."""
    dezero_core.random.seed(0)
    model = MLP(hidden + (10,), activation=F.relu, in_size=784)
    return model, Adam(lr=0.001).setup(model), DataLoader(dataset, batch, seed=0)


@dezero_core.flushing_denormals()  # as fit() does by default: both sides compute in the same FP mode
def hand_epoch(model: MLP, optimizer: Adam, loader: DataLoader) -> float:
    """The book's loop, written out."""
    sum_loss = sum_acc = 0.0
    count = 0
    for x, t in loader:
        y = model(x)
        loss = F.softmax_cross_entropy(y, t)
        acc = F.accuracy(y, t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        n = t.shape[0]
        sum_loss += float(loss.data) * n
        sum_acc += float(acc.data) * n
        count += n
    return sum_loss / count


def make_trainer(model: MLP, optimizer: Adam, loader: DataLoader, extensions: tuple = ()) -> Trainer:
    return Trainer(model, F.softmax_cross_entropy, optimizer, loader, extensions=extensions)


def trainer_epoch(trainer: Trainer) -> float:
    trainer.fit(1)
    return trainer.history[-1]["train_loss"]


def timed(fn, *args) -> tuple[float, float]:
    """Seconds ``fn(*args)`` took (only the epoch: models, loaders and trainers are built before)."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--hidden", default="100", help="hidden sizes, comma-separated (default 100)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", default="1", help="BLAS threads (read by bench_mlp at import)")
    args = parser.parse_args()
    hidden = tuple(int(s) for s in args.hidden.split(","))
    dezero_core.set_backend("numpy")
    dataset, source = load_data(args.samples)
    print(f"data: {source}, {len(dataset)} samples; MLP 784-{'-'.join(map(str, hidden))}-10 ReLU float32, "
          f"batch {args.batch}, Adam(lr=0.001); BLAS threads {bench_mlp.THREADS}")
    hand_epoch(*setup(dataset, hidden, args.batch))  # warm-up: imports, caches
    rows = []
    for r in range(args.rounds):
        t_hand, loss_hand = timed(hand_epoch, *setup(dataset, hidden, args.batch))
        t_fit, loss_fit = timed(trainer_epoch, make_trainer(*setup(dataset, hidden, args.batch)))
        bar = ProgressBar(file=io.StringIO())
        t_bar, _ = timed(trainer_epoch, make_trainer(*setup(dataset, hidden, args.batch), (bar,)))
        if loss_hand != loss_fit:
            raise AssertionError(f"the Trainer learned differently: loss {loss_fit} vs {loss_hand} by hand")
        rows.append((t_hand, t_fit, t_bar))
        print(f"round {r + 1}: hand {t_hand:.3f} s, fit {t_fit:.3f} s ({t_fit / t_hand:.3f}x), "
              f"fit + ProgressBar {t_bar:.3f} s ({t_bar / t_hand:.3f}x)")
    fit_ratio = statistics.median(f / h for h, f, _ in rows)
    bar_ratio = statistics.median(b / h for h, _, b in rows)
    print(f"median ratio to the hand-written loop: fit {fit_ratio:.3f}x (target <= 1.02), "
          f"fit + ProgressBar {bar_ratio:.3f}x; hand epoch median {statistics.median(h for h, _, _ in rows):.3f} s; "
          f"same train loss on both sides: {loss_hand:.6f}")


if __name__ == "__main__":
    main()
