"""What a compiled training step's call costs outside its replay: the guards, the cache, the result.

The MLP 784-100-10 Adam step of ``bench_static.py`` (batch 32, float32), compiled, with its
executor's ``run`` replaced by a stub that returns the last outputs: what remains is the call's own
Python. Two ways through it, interleaved in one process (CPU-time medians):

- ``fast path``: a call like the latest replay, checked against it directly (each argument's type,
  shape and dtype, the two flags, the parameters' arrays), no key built;
- ``keyed path``: the same call with the fast path forgotten before each call, so that the guard
  key is built and looked up in the graph cache (what every call did before the fast path).

The figures are microseconds and their ratio to the step's replay (timed in the same rounds), the
part of a step the guards cost.

    python benchmarks/bench_guards.py [--rounds 15] [--calls 2000]
"""
from __future__ import annotations

import argparse

from bench_static import interleaved, mlp_steps  # pins BLAS threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    steps, _, _ = mlp_steps((100, 10), 32)
    step = steps["dezero_core compiled"]
    compiled = step.__defaults__[0]  # the CompiledFunction the lambda closes over
    batch = {name: cell.cell_contents for name, cell in zip(step.__code__.co_freevars, step.__closure__)}
    x, t = batch["x"], batch["t"]
    step()
    step()  # traced, then replayed: the executor is built and the fast path set
    entry = next(e for e in compiled._cache.values() if not isinstance(e, str))
    executor = entry.executor([x, t])
    replay = executor.run
    replay_seconds = interleaved({"replay": lambda: replay([x, t])}, args.rounds, max(1, args.calls // 40))["replay"]

    outs = replay([x, t])
    executor.run = lambda arrays: outs  # the stub: the call's own work remains

    def keyed() -> None:
        compiled._hot = None
        compiled(x, t)

    seconds = interleaved({"fast path": lambda: compiled(x, t), "keyed path": keyed}, args.rounds, args.calls)
    del executor.run
    print(f"MLP 784-100-10 Adam step, compiled: the call outside its replay ({args.rounds} rounds of "
          f"{args.calls} calls, CPU-time medians); the replay itself {replay_seconds * 1e6:.1f} us")
    for name, s in seconds.items():
        print(f"  {name:12s} {s * 1e6:6.2f} us   {s / replay_seconds * 100:5.2f}% of the replay")
    print(f"  fast / keyed: {seconds['fast path'] / seconds['keyed path']:.3f}x")


if __name__ == "__main__":
    main()
