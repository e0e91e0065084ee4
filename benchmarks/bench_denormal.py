"""Training speed with and without flushing denormals to zero, ours and the hand-written numpy loop.

Workload: bench_mlp's MLP 784-100-10 with ReLU on Fashion-MNIST, batch 100, float32, Adam, for
``--epochs`` epochs (default 3). Pixels that are always 0 give exactly-zero gradients, and Adam's
first moment of their weights decays by 0.9 per step into the float32 denormals, where it stays
(``0.9 * smallest denormal`` rounds back to it); elementwise arithmetic on denormals is ~100x
slower on x86, so epochs after the first slow down unless the thread flushes denormals
(:func:`dezero_core.flushing_denormals`, what the Trainer does by default, and what every
optimizer update does unless its ``flush_denormal`` is False: ours "exact" sets it False).

Five runs from the same weights see the same batches: {dezero_core, hand-written numpy} x {exact,
flushed}, and ours as a hand-written loop gets it by default (the thread exact, every 16th optimizer
update flushed). They alternate every ``--chunk`` batches (the order rotating), each chunk under its own
mode, so that a shared machine's load falls on all alike. Printed: seconds per epoch, flushed/exact
per epoch for each implementation, ours/hand-written per mode, and how many entries of the
hand-written first layer's Adam moment are denormal at each epoch's end.

    python benchmarks/bench_denormal.py [--epochs 3] [--chunk 20] [--threads 1]
"""
from __future__ import annotations

import argparse
from typing import Callable

import bench_mlp  # pins BLAS threads (--threads) before numpy loads
import numpy as np

import dezero_core as dz
from dezero_numpy.denormals import unsupported_reason

SIZES = (100, 10)
IMPLEMENTATIONS = ("dezero_core", "hand-written numpy")


def denormal_count(x: np.ndarray) -> int:
    """Entries of float32 ``x`` that are denormal, read from the bits (a comparison would see zero
    in flushing mode)."""
    magnitude = x.view(np.uint32) & 0x7FFFFFFF
    return int(np.count_nonzero((magnitude != 0) & (magnitude < 0x00800000)))


#: the run of our optimizer with its default flushing, in a thread that does not flush
DEFAULT = ("dezero_core", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=20, help="batches run before switching run")
    parser.add_argument("--threads", default="1", help="BLAS threads (read by bench_mlp at import)")
    args = parser.parse_args()

    if unsupported_reason() is not None:
        raise SystemExit(f"nothing to compare: {unsupported_reason()}")
    x, t, _, _, description = bench_mlp.load_data()
    print(f"data: {description}")
    print(f"numpy {np.__version__}, BLAS threads {bench_mlp.THREADS}, MLP 784-{'-'.join(map(str, SIZES))}, "
          f"batch {bench_mlp.BATCH}, float32, Adam(lr={bench_mlp.LR}); runs alternate every {args.chunk} batches")

    weights = bench_mlp.initial_weights(SIZES, 0)
    hand = {flush: bench_mlp.HandWritten(weights) for flush in (False, True)}
    steps: dict[tuple[str, bool | None], Callable[[np.ndarray], None]] = {}
    for flush in (False, True):
        steps["dezero_core", flush] = bench_mlp.ours_trainer(weights, x, t, flush_denormal=flush)[0]
        steps["hand-written numpy", flush] = lambda idx, model=hand[flush]: model.step(x[idx], t[idx])
    # what a hand-written loop over our optimizer gets by default: the thread exact, every 16th update flushed
    steps[DEFAULT] = bench_mlp.ours_trainer(weights, x, t)[0]
    seconds: dict[tuple[str, bool], list[float]] = {run: [] for run in steps}
    denormals = []
    for epoch in range(args.epochs):
        order = np.random.default_rng(100 + epoch).permutation(len(x))
        batches = [order[i:i + bench_mlp.BATCH] for i in range(0, len(order), bench_mlp.BATCH)]
        spent = bench_mlp.alternate(steps, batches, args.chunk,
                                    mode=lambda run: dz.flushing_denormals(run[1] is True, backend="numpy"))
        for run, s in spent.items():
            seconds[run].append(s)
        denormals.append({flush: denormal_count(model.m[0]) for flush, model in hand.items()})

    epochs = range(1, args.epochs + 1)
    print("\nseconds per epoch" + "".join(f"{f'epoch {e}':>10s}" for e in epochs))
    for (impl, flush), ts in seconds.items():
        mode = {True: "flushed", False: "exact", None: "default"}[flush]
        print(f"  {impl:19s} {mode:8s}" + "".join(f"{s:10.3f}" for s in ts))
    print("\nflushed / exact, per epoch")
    for impl in IMPLEMENTATIONS:
        ratios = [f / e for f, e in zip(seconds[impl, True], seconds[impl, False])]
        print(f"  {impl:28s}" + "".join(f"{r:9.2f}x" for r in ratios))
    ratios = [d / e for d, e in zip(seconds[DEFAULT], seconds["dezero_core", False])]
    print(f"  {'dezero_core default / exact':28s}" + "".join(f"{r:9.2f}x" for r in ratios))
    print("\ndezero_core / hand-written, per epoch")
    for flush in (False, True):
        ratios = [o / h for o, h in zip(seconds["dezero_core", flush], seconds["hand-written numpy", flush])]
        print(f"  {'flushed' if flush else 'exact':28s}" + "".join(f"{r:9.2f}x" for r in ratios))
    size = hand[False].m[0].size
    print(f"\ndenormal entries of the hand-written first layer's Adam moment m ({size}), at epoch ends")
    for flush in (False, True):
        print(f"  {'flushed' if flush else 'exact':28s}" + "".join(f"{d[flush]:10d}" for d in denormals))


if __name__ == "__main__":
    main()
