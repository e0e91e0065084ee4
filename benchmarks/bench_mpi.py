"""Data-parallel scaling on MPI: samples per second of N processes against 1, and the allreduce's cost.

MLP 784-1000-1000-10 (ReLU, float32, 1.79 M parameters = 7.2 MB of gradients), SGD, batch
``--batch`` per process (weak scaling: N processes train N times the samples per step), random
data of MNIST's shape, 1 BLAS thread per process. Launches alternate ``mpiexec -n 1``,
``mpiexec -n N`` training one model data-parallel, and ``mpiexec -n N`` of processes that each train
a model of their own without any communication (A B C A B C ...): the last is the machine's
ceiling for N processes, what running N at once costs each (shared caches, memory bandwidth,
clock), which no averaging can beat. The figures are the medians of the per-round speed-ups. Each launch
reports the median step time; its CPU time (waiting left out: the step a process would take if it
never waited for another, nor lost its core to other programs); the median time per step spent
averaging the gradients (packing, summing, waiting: all of ``optimizer.update()`` but the update)
and the CPU time of the own work (packing the gradients, or with sharded updates copying those the
backward pass did not write into shared memory; summing this process's block of the average; the
update); and
each process's CPU share (CPU time over wall time during the timed steps: below 1, other programs
on the machine took the core), with the load average, since timings on a shared machine say as
much about the neighbours as about the code.

    python benchmarks/bench_mpi.py [--procs 2] [--rounds 3] [--steps 40] [--batch 100] [--no-shard]
                                   [--latency-us 5] [--gbit-s 100]   (the cost model's network)

Updates are sharded (``create_multi_node_optimizer(..., shard_update=True)``: each process updates
its part of one shared copy of the parameters, :mod:`dezero_mpi.sharded`); ``--no-shard``: every
process updates all of them (the default of ``create_multi_node_optimizer``).
    python benchmarks/bench_mpi.py --model-only STEP_MS              (the cost model alone)
    mpiexec -n 2 python benchmarks/bench_mpi.py --progress-probe    (does MPI overlap with computing?)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MPIEXEC = Path(sys.executable).parent / "mpiexec"
PARAMETERS = 784 * 1000 + 1000 + 1000 * 1000 + 1000 + 1000 * 10 + 10  # 1,796,010


def worker(steps: int, warmup: int, batch: int, mode: str) -> None:
    """One process of a launch: train (``mode``: data-parallel ``sharded`` or ``unsharded``, or
    ``independent``: a model of its own, no communication), time, and (rank 0) print one JSON line."""
    import numpy as np

    import dezero_core
    import dezero_mpi
    from dezero_core import functions as F
    from dezero_core.models import MLP
    from dezero_core.optimizers import SGD

    comm = dezero_mpi.create_communicator()
    with comm.abort_on_error():
        dezero_core.random.seed(0)
        model = MLP((1000, 1000, 10), activation=F.relu, in_size=784, dtype="float32")
        comm.bcast_data(model)
        if mode == "independent":
            optimizer = SGD(lr=0.01).setup(model)
        else:
            optimizer = dezero_mpi.create_multi_node_optimizer(SGD(lr=0.01), comm, shard_update=mode == "sharded")
            optimizer.setup(model)
        rng = np.random.default_rng(comm.rank)
        x = rng.random((batch * 8, 784), dtype=np.float32)
        t = rng.integers(0, 10, batch * 8)
        own = _time_own_work()  # CPU seconds of packing, summing and updating, appended per call
        update_wall: list[float] = []  # optimizer.update(): averaging (waits included), then the update
        update_cpu: list[float] = []

        def timed_update():
            start, cpu = time.perf_counter(), time.thread_time()
            optimizer_update()
            update_wall.append(time.perf_counter() - start)
            update_cpu.append(time.thread_time() - cpu)  # own work and MPI's polling while it waits

        optimizer_update = optimizer.update
        step_times, busy_times, averaging_times = [], [], []
        for step in range(warmup + steps):
            if step == warmup:
                comm.barrier()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for times in own.values():
                    times.clear()
            start, cpu, own_before = time.perf_counter(), time.thread_time(), sum(map(sum, own.values()))
            i = step % 8
            loss = F.softmax_cross_entropy(model(x[i * batch:(i + 1) * batch]), t[i * batch:(i + 1) * batch])
            model.cleargrads()
            loss.backward()
            timed_update()
            step_times.append(time.perf_counter() - start)
            # the step's CPU time without the waiting: computing, plus the averaging's and update's own work
            own_work = sum(map(sum, own.values())) - own_before
            waited = update_cpu[-1] - own_work if comm.size > 1 else 0.0
            busy_times.append(time.thread_time() - cpu - waited)
            averaging_times.append(update_wall[-1] - own["update"][-1])  # all of update() but the update
        cpu_share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        mine = {"step": statistics.median(step_times[warmup:]), "busy": statistics.median(busy_times[warmup:]),
                "allreduce": statistics.median(averaging_times[warmup:]),
                "cpu_share": cpu_share, **{part: sum(times) / steps for part, times in own.items()}}
        every = comm.gather_object(mine)
        if comm.rank == 0:
            step = max(r["step"] for r in every)  # the slowest process sets the pace
            print(json.dumps({"procs": comm.size, "step_s": step, "samples_per_s": comm.size * batch / step,
                              "busy_s": max(r["busy"] for r in every),
                              "allreduce_s": statistics.median(r["allreduce"] for r in every),
                              **{f"{part}_s": statistics.median(r[part] for r in every) for part in own},
                              "cpu_share": [round(r["cpu_share"], 2) for r in every],
                              "gradient_bytes": sum(p.data.nbytes for p in model.params())}))


def progress_probe(rounds: int = 20) -> None:
    """Whether MPI progresses a non-blocking allreduce while every process computes (one process per
    core, as here): the gradients' size through ``MPI_Allreduce``, then through ``MPI_Iallreduce``
    started before a backward-sized computation and waited for after it. A ``Wait`` as long as the
    blocking allreduce means nothing moved during the computation, and overlapping the allreduce
    with the backward pass would gain nothing."""
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    buffer = np.ones(PARAMETERS, np.float32)
    a, b = (np.random.default_rng(0).random(shape, dtype=np.float32) for shape in ((1000, 1000), (1000, 100)))
    blocking, computing, waiting = [], [], []
    for _ in range(rounds):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        blocking.append(time.perf_counter() - start)
        comm.Barrier()
        request = comm.Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        start = time.perf_counter()
        for _ in range(3):  # ~ the MLP's backward: 3 products of 1000x1000 by 1000x100 (0.6 GFLOP)
            a @ b
        middle = time.perf_counter()
        request.Wait()
        computing.append(middle - start)
        waiting.append(time.perf_counter() - middle)
    every = comm.gather([statistics.median(v) * 1e3 for v in (blocking, computing, waiting)], root=0)
    if comm.rank == 0:
        for rank, (block, compute, wait) in enumerate(every):
            print(f"rank {rank}: MPI_Allreduce {block:.2f} ms; MPI_Iallreduce started, {compute:.1f} ms of "
                  f"computing, then Wait {wait:.2f} ms")


def _time_own_work() -> dict[str, list[float]]:
    """Wrap the averaging's own work on this process (not its waiting): putting the gradients where
    the others read them (packing), adding its block of the average (summing), and the optimizer's
    update (of every parameter, or of this process's part of them). Returns the CPU seconds of each
    call, by part (thread time: MPI's polling in the fences would count as CPU, so fences stay outside)."""
    from dezero_core.optimizers.optimizer import Optimizer
    from dezero_mpi import buckets, shared_memory, sharded

    own: dict[str, list[float]] = {"pack": [], "sum": [], "update": []}
    for part, owner, name in (("pack", buckets.Bucket, "pack_grads"),
                              ("pack", sharded.SharedParameters, "publish_grads"),
                              ("sum", shared_memory.SharedMemoryTransport, "add_own_block"),
                              ("sum", sharded.SharedParameters, "average_own_block"),
                              ("update", Optimizer, "apply_update")):
        def timed(*args, _original=getattr(owner, name), _times=own[part], **kwargs):
            start = time.thread_time()
            result = _original(*args, **kwargs)
            _times.append(time.thread_time() - start)
            return result

        setattr(owner, name, timed)
    return own


def ring_allreduce_seconds(n: int, nbytes: float, latency_s: float, bandwidth_bytes_s: float) -> float:
    """The ring allreduce of ``nbytes`` over ``n`` processes: a reduce-scatter and an allgather of
    ``n - 1`` steps each, every step one message of ``nbytes / n`` per process, so each process sends
    (and receives) ``2 (n-1)/n * nbytes`` bytes and waits ``2 (n-1)`` latencies."""
    if n == 1:
        return 0.0
    return 2 * (n - 1) * latency_s + 2 * (n - 1) / n * nbytes / bandwidth_bytes_s


def cost_model(step_s: float, nbytes: float, latency_s: float, gbit_s: float, ranks=(2, 8, 64, 512)) -> str:
    """Expected efficiency (time of one process's step over the data-parallel step, the allreduce not
    overlapped with the backward pass, as here) at each process count, as a table."""
    lines = [f"ring allreduce of {nbytes / 1e6:.2f} MB on {gbit_s:g} Gb/s, {latency_s * 1e6:g} us per message, "
             f"compute {step_s * 1e3:.1f} ms per step:"]
    for n in ranks:
        t = ring_allreduce_seconds(n, nbytes, latency_s, gbit_s * 1e9 / 8)
        lines.append(f"  {n:4d} processes: allreduce {t * 1e3:6.2f} ms, efficiency {step_s / (step_s + t):.1%}, "
                     f"speed-up {n * step_s / (step_s + t):7.1f}x")
    return "\n".join(lines)


def launch(procs: int, args: argparse.Namespace, mode: str) -> dict:
    """One ``mpiexec -n procs`` run of :func:`worker` in ``mode``: its JSON line."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([str(MPIEXEC), "-n", str(procs), sys.executable, __file__, "--worker", "--mode", mode,
                          "--steps", str(args.steps), "--warmup", str(args.warmup), "--batch", str(args.batch)],
                         capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        sys.exit(f"mpiexec -n {procs} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Alternate 1 and N processes, print each launch, the median speed-up and the cost model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-shard", action="store_true", help="every process updates every parameter")
    parser.add_argument("--latency-us", type=float, default=5.0, help="the cost model's latency per message")
    parser.add_argument("--gbit-s", type=float, default=100.0, help="the cost model's network bandwidth")
    parser.add_argument("--model-only", type=float, default=None, metavar="STEP_MS",
                        help="print the cost model for this compute time per step and exit")
    parser.add_argument("--progress-probe", action="store_true",
                        help="run under mpiexec: does MPI progress an Iallreduce while the processes compute?")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="sharded", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.steps, args.warmup, args.batch, args.mode)
    if args.progress_probe:
        return progress_probe()
    if args.model_only is not None:
        return print(cost_model(args.model_only * 1e-3, PARAMETERS * 4, args.latency_us * 1e-6, args.gbit_s))
    print(f"MLP 784-1000-1000-10, batch {args.batch} per process, 1 BLAS thread per process, "
          f"{'unsharded' if args.no_shard else 'sharded'} updates; {os.cpu_count()} "
          f"CPUs, load average {os.getloadavg()[0]:.2f} before")
    mode = "unsharded" if args.no_shard else "sharded"
    speedups, busy_speedups, ceilings, runs = [], [], [], []
    for r in range(args.rounds):
        one, many = launch(1, args, mode), launch(args.procs, args, mode)
        alone = launch(args.procs, args, "independent")
        runs += [one, many]
        speedups.append(many["samples_per_s"] / one["samples_per_s"])
        busy_speedups.append(args.procs * one["busy_s"] / many["busy_s"])
        ceilings.append(alone["samples_per_s"] / one["samples_per_s"])
        for run in (one, many):
            print(f"round {r + 1}  {run['procs']} proc  {run['samples_per_s']:7.0f} samples/s  step "
                  f"{run['step_s'] * 1e3:6.1f} ms (CPU {run['busy_s'] * 1e3:5.1f} ms)  averaging "
                  f"{run['allreduce_s'] * 1e3:6.2f} ms/step (own work: pack {run['pack_s'] * 1e3:4.2f} + sum "
                  f"{run['sum_s'] * 1e3:4.2f} ms CPU)  update {run['update_s'] * 1e3:4.2f} ms  "
                  f"CPU share {run['cpu_share']}")
        print(f"round {r + 1}  {args.procs} independent processes (no communication): "
              f"{alone['samples_per_s']:7.0f} samples/s, step {alone['step_s'] * 1e3:6.1f} ms")
    many = [run for run in runs if run["procs"] == args.procs]
    print(f"{args.procs} processes / 1 process, samples/s: {statistics.median(speedups):.2f}x (median of "
          f"{', '.join(f'{s:.2f}' for s in speedups)}); averaging {many[0]['gradient_bytes'] / 1e6:.1f} MB: "
          f"{statistics.median(r['allreduce_s'] for r in many) * 1e3:.2f} ms per step "
          f"({statistics.median(r['allreduce_s'] / r['step_s'] for r in many):.1%} of the step), of which "
          f"packing {statistics.median(r['pack_s'] for r in many) * 1e3:.2f} ms and summing "
          f"{statistics.median(r['sum_s'] for r in many) * 1e3:.2f} ms of CPU, the rest waiting for the other "
          f"processes; "
          f"load average {os.getloadavg()[0]:.2f} after")
    print(f"{args.procs} independent processes / 1 process, samples/s: {statistics.median(ceilings):.2f}x (median "
          f"of {', '.join(f'{c:.2f}' for c in ceilings)}): this machine's ceiling for {args.procs} processes; "
          f"data-parallel reached {statistics.median(s / c for s, c in zip(speedups, ceilings)):.0%} of it")
    ones = [run for run in runs if run["procs"] == 1]
    print(f"CPU time per step, waiting left out (computing, plus the averaging's own work): 1 process "
          f"{statistics.median(r['busy_s'] for r in ones) * 1e3:.2f} ms, {args.procs} processes "
          f"{statistics.median(r['busy_s'] for r in many) * 1e3:.2f} ms: {statistics.median(busy_speedups):.2f}x "
          f"(median of {', '.join(f'{s:.2f}' for s in busy_speedups)}), the speed-up if no process ever waited "
          f"for another or lost its core")
    compute = statistics.median(r["busy_s"] for r in ones)  # a dedicated core's step
    print(f"measured: {args.procs} processes at {statistics.median(speedups) / args.procs:.1%} efficiency "
          f"(shared memory, this machine); the model, with the 1-process step's CPU time as compute:")
    print(cost_model(compute, many[0]["gradient_bytes"], args.latency_us * 1e-6, args.gbit_s))


if __name__ == "__main__":
    main()
