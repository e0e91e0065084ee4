"""Define-and-Run (``dz.compile``) against eager mode and other baselines: every figure of issue 10.

Each workload times its implementations in one process, interleaved (A B C A B C ..., the order
rotating every round) and reports medians and ratios; BLAS threads are pinned (``--threads``,
default 1; jax's XLA CPU threads and PyTorch's too). Compiled runs use the default passes plus
fusion and memory planning (:data:`PASSES`).

- ``mlp``: MLP 784-100-10, batch 32, float32, one Adam training step: compiled <= 0.75x our eager
  step and <= 0.8x ``jax.jit`` of the same step (jax, when importable: benchmark-only); hand-written
  numpy for reference. Beside them: the compiled step keeping every gradient to ``update()``
  (``Optimizer.update_in_backward = False``, against the default update in the backward pass), and
  parts of the compiled step: its replay without the guards, an eager Adam ``update()`` alone and
  its backend kernels alone (where the step's time goes); the compiled step with numpy's Adam kernel
  instead of numba's loop (dezero-numpy's ``[jit]`` extra, when numba is installed).
- ``lstm``: LSTM language model (vocabulary 100, embedding and hidden 32, batch 8; integer ids
  through ``EmbedID``), 35-step truncated backprop, Adam: compiled <= 0.4x eager; the losses' largest
  relative difference to eager's (the batched weight gradients round differently).
- ``chain``: 1000 tiny elementwise functions (sin, * 1.0001 alternately, float32[10]), forward +
  backward: compiled per function <= 2x numpy's own forward per function.
- ``fusion``: 8 chained elementwise functions on 4M float32 elements, forward: fused <= 0.5x
  unfused (the same compiled graph without ``fuse_elementwise``); an arithmetic chain, one with a
  tanh and a chain of sines; numexpr's time for the arithmetic chain when it is installed.
- ``mlp1000``: MLP 784-1000-1000-10, batch 100, Adam step: compiled <= 0.9x eager; peak memory of a
  step (tracemalloc) <= 0.7x eager's, the compiled step's persistent buffers counted in; the compiled
  step keeping every gradient to ``update()``, and with numpy's Adam kernel instead of numba's, beside
  it. Then where an eager step's time goes: its eight matrix products alone, and an Adam ``update()``
  alone on these weights by the numpy kernel's flat blocks (the default), by the optimizer's row
  blocks (the kernel called per block), whole, and by numba's loop (what compiled steps use).
- ``cnn``: the CNN of ``bench_cnn.py`` (batch 100, Adam): compiled <= 1.2x PyTorch CPU eager.
- ``resnet``: seconds to compile ResNet-50's training step (the first call: the trace runs the step
  once, then the passes): <= 10 s.

Runs are timed by this process's CPU time (``--clock wall`` for wall time): on a shared machine
wall time mostly measures the load of others.

    python benchmarks/bench_static.py [--only mlp,lstm,...] [--rounds 7] [--threads 1] [--clock cpu|wall]
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time
import tracemalloc
from typing import Any, Callable

from bench_mlp import THREADS, HandWritten, import_torch, initial_weights, ours_mlp  # pins BLAS threads

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=" + THREADS)

import numpy as np  # noqa: E402

import dezero_core as dz  # noqa: E402
from dezero_core import functions as F  # noqa: E402
from dezero_core import layers as L  # noqa: E402
from dezero_core.models import Model  # noqa: E402
from dezero_core.optimizers import Adam  # noqa: E402
from dezero_core.static.passes import DEFAULT_PASSES, pass_names  # noqa: E402
from dezero_core.backend.selection import backend_of  # noqa: E402

OURS = ("fuse_algebraic", "fuse_elementwise", "plan_memory")
#: the default pipeline (whichever of its passes are installed) and this issue's passes, in order
PASSES = [p for p in DEFAULT_PASSES if p in pass_names()] + [p for p in OURS if p not in DEFAULT_PASSES]
UNFUSED = [p for p in PASSES if p != "fuse_elementwise"]
LR = 0.001

Step = Callable[[], Any]


# -- timing ------------------------------------------------------------------------------------------
#: the clock of :func:`interleaved`: this process's CPU time by default (``--clock cpu``). On a shared,
#: overloaded machine wall time mostly measures who else got the cores; every run here uses one
#: thread for its arithmetic, so CPU time is its work (``--clock wall`` for wall time)
CLOCK: Callable[[], float] = time.process_time


def interleaved(runs: dict[str, Step], rounds: int, calls: int) -> dict[str, float]:
    """Median seconds per call of each run: ``rounds`` rounds, each run ``calls`` times per round, the
    runs interleaved and their order rotating from round to round. Each runs once first (warm-up).

    What exists before the rounds (imported modules: torch and jax are hundreds of thousands of
    objects; traced graphs) is frozen out of the garbage collector while they run: a full collection
    walked all of it (~70 ms here) and fell into whichever few rounds it happened to, moving the
    medians by more than the differences measured (the LSTM's compiled median 9 -> 20 ms). The
    steps' own garbage is still collected and timed."""
    names = list(runs)
    for name in names:
        runs[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc.freeze()
    try:
        for r in range(rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                run = runs[name]
                start = CLOCK()
                for _ in range(calls):
                    run()
                times[name].append((CLOCK() - start) / calls)
    finally:
        gc.unfreeze()
    return {name: statistics.median(ts) for name, ts in times.items()}


def report(title: str, seconds: dict[str, float], base: str, unit: float = 1e6, unit_name: str = "us") -> None:
    print(f"\n{title}")
    for name, s in seconds.items():
        print(f"  {name:34s} {s * unit:10.1f} {unit_name}   {s / seconds[base]:6.3f}x {base}")


def verdict(what: str, ratio: float, target: float) -> None:
    print(f"  {what}: {ratio:.3f}x, target <= {target}x: {'met' if ratio <= target else 'NOT met'}")


def import_jax() -> Any:
    """``jax`` (CPU) or None when it is not importable (a benchmark-only tool)."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_platforms", "cpu")
    return jax


# -- training steps of ours -------------------------------------------------------------------------
def ours_step(model: Any, loss_of: Callable[..., Any], update_in_backward: bool = True) -> Callable[..., Any]:
    """A training step of ``model``: ``loss_of(*args)``, backward, Adam; returns the loss.
    ``update_in_backward``: the optimizer's flag (compiled steps: update in the backward pass)."""
    optimizer = Adam(lr=LR).setup(model)
    optimizer.update_in_backward = update_in_backward

    def step(*args: Any) -> Any:
        loss = loss_of(*args)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss

    return step


#: the compiled step with ``Optimizer.update_in_backward = False``: every gradient kept until update()
KEPT = "  compiled, gradients kept to update()"
#: the compiled step with dezero-numpy's numba kernels switched off: numpy's blocked Adam kernel
NO_JIT = "  compiled, numpy's Adam kernel, not numba's"


def without_jit(step: Step) -> Step | None:
    """``step`` run with dezero-numpy's numba kernels switched off, or None where there are none."""
    from dezero_numpy import jit_kernels

    if jit_kernels.kernel("adam") is None:
        return None
    for _ in range(2):  # trace, then build the replay here: one built while switched off would keep numpy's
        step()

    def run() -> None:
        jit_kernels.ENABLED = False
        try:
            step()
        finally:
            jit_kernels.ENABLED = True
    return run


def mlp_steps(sizes: tuple[int, ...], batch: int) -> tuple[dict[str, Step], dict[str, Any], Callable]:
    """Steps of eager, compiled (updating in the backward pass, and keeping the gradients to the end)
    and hand-written numpy from the same weights on one batch; the models (for memory figures) and a
    factory of the jax step."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, 784), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    weights = initial_weights(sizes, 0)
    models = {}
    steps: dict[str, Step] = {}
    for name in ("dezero_core eager", "dezero_core compiled", KEPT):
        model = models[name] = ours_mlp(weights)
        step = ours_step(model, lambda x, t, model=model: F.softmax_cross_entropy(model(x), t), name != KEPT)
        if name != "dezero_core eager":
            step = dz.compile(step, passes=PASSES)
        steps[name] = lambda step=step: step(x, t)
    no_jit = without_jit(steps["dezero_core compiled"])
    if no_jit is not None:
        steps[NO_JIT] = no_jit
    hand = HandWritten(weights)
    steps["hand-written numpy"] = lambda: hand.step(x, t)
    return steps, models, lambda: jax_mlp_step(weights, x, t)


def jax_mlp_step(weights: list, x: np.ndarray, t: np.ndarray) -> Step | None:
    """``jax.jit`` of the whole step (forward, gradients, Adam) of the same MLP, or None without jax."""
    jax = import_jax()
    if jax is None:
        return None
    jnp = jax.numpy
    b1, b2, eps = 0.9, 0.999, 1e-8

    def loss_fn(params: list, x: Any, t: Any) -> Any:
        h = x
        for W, b in params[:-1]:
            h = jax.nn.relu(h @ W + b)
        W, b = params[-1]
        logp = jax.nn.log_softmax(h @ W + b)
        return -jnp.mean(jnp.take_along_axis(logp, t[:, None], axis=1))

    @jax.jit
    def step(params: list, m: list, v: list, k: Any, x: Any, t: Any) -> tuple:
        g = jax.grad(loss_fn)(params, x, t)
        k = k + 1
        lr_t = LR * jnp.sqrt(1 - b2 ** k) / (1 - b1 ** k)
        m = jax.tree_util.tree_map(lambda m, g: m + (1 - b1) * (g - m), m, g)
        v = jax.tree_util.tree_map(lambda v, g: v + (1 - b2) * (g * g - v), v, g)
        params = jax.tree_util.tree_map(lambda p, m, v: p - lr_t * m / (jnp.sqrt(v) + eps), params, m, v)
        return params, m, v, k

    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in weights]
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = [params, zeros, zeros, jnp.float32(0)]
    xj, tj = jnp.asarray(x), jnp.asarray(t)

    def run() -> None:
        state[:] = step(*state, xj, tj)
        state[0][0][0].block_until_ready()

    return run


def bench_mlp(rounds: int) -> None:
    steps, _, jax_step = mlp_steps((100, 10), 32)
    run = jax_step()
    if run is not None:
        steps["jax.jit"] = run
    steps.update(compiled_parts(steps["dezero_core compiled"]))
    seconds = interleaved(steps, rounds, 50)
    report("MLP 784-100-10, batch 32, float32, Adam: one training step", seconds, "dezero_core eager")
    compiled = seconds["dezero_core compiled"]
    verdict("compiled / eager", compiled / seconds["dezero_core eager"], 0.75)
    if run is None:
        print("  jax.jit: skipped (jax is not importable; pip install jax to compare)")
    else:
        verdict("compiled / jax.jit", compiled / seconds["jax.jit"], 0.8)
    # the guards (~12 us, timed inside the loop) are no figure here: a difference of two medians of the
    # whole step, within the noise of a shared machine
    print(f"  eager's update(): {seconds[UPDATE_ONLY] * 1e6:.1f} us, of which Python outside the backend's "
          f"kernels {(seconds[UPDATE_ONLY] - seconds[KERNELS_ONLY]) * 1e6:.1f} us")
    print(f"  compiled, updating in backward / keeping the gradients to update(): "
          f"{compiled / seconds[KEPT]:.3f}x")
    jit_ratio(seconds)


def jit_ratio(seconds: dict[str, float]) -> None:
    """The compiled step with numba's Adam loop against it with numpy's kernel, where both ran."""
    if NO_JIT in seconds:
        print(f"  compiled, numba's Adam loop / numpy's Adam kernel: "
              f"{seconds['dezero_core compiled'] / seconds[NO_JIT]:.3f}x")
    else:
        print("  numba's Adam loop: skipped (numba is not importable; pip install -e 'backends/numpy[jit]')")


REPLAY_ONLY = "  compiled: its replay without guards"
UPDATE_ONLY = "  an Adam optimizer.update() alone"
KERNELS_ONLY = "  its backend kernels alone"


def compiled_parts(step: Step) -> dict[str, Step]:
    """Parts of the compiled step ``step`` (a lambda over a CompiledFunction and its batch), timed beside
    it: its executor's replay without the guards, and an Adam update of a third MLP of the same sizes
    (from the gradients of one eager step) with and without its Python (the backend's kernel on each
    parameter)."""
    compiled = step.__defaults__[0]
    batch = {name: cell.cell_contents for name, cell in zip(step.__code__.co_freevars, step.__closure__)}
    x, t = batch["x"], batch["t"]
    step()
    step()  # traced, then replayed: the executor is built
    entry = next(e for e in compiled._cache.values() if not isinstance(e, str))
    executor = entry.executor([x, t])
    model = ours_mlp(initial_weights((100, 10), 0))
    F.softmax_cross_entropy(model(x), t).backward()
    optimizer = Adam(lr=LR).setup(model)
    optimizer.update()
    named = model.named_param_list()
    kernel = backend_of(x).optimizer_kernel("adam")

    def kernels() -> None:
        step_size = optimizer.step_size()
        for name, p in named:
            slots = optimizer.state[name]
            kernel(p.data, p.grad.data, slots["m"], slots["v"], optimizer.beta1, optimizer.beta2, step_size,
                   optimizer.eps)

    return {REPLAY_ONLY: lambda: executor.run([x, t]), UPDATE_ONLY: optimizer.update, KERNELS_ONLY: kernels}


# -- LSTM language model ------------------------------------------------------------------------------
class LSTMLM(Model):
    """Embedding 32 -> LSTM 32 -> linear to the vocabulary."""

    def __init__(self, vocab: int, hidden: int) -> None:
        super().__init__()
        self.embed = L.EmbedID(vocab, hidden)
        self.lstm = L.LSTM(hidden, in_size=hidden)
        self.fc = L.Linear(vocab, in_size=hidden)


def lstm_window(model: LSTMLM, optimizer: Adam, xs: Any, ts: Any, h: Any, c: Any) -> tuple[Any, Any, Any]:
    """One training step on a window of integer ids ``xs`` (steps, batch) from the state (h, c): the
    summed loss and the new state (its history cut by the caller, which keeps only the arrays).
    Each step looks its ids up with ``EmbedID`` (an ``EmbedID`` call per step in the graph)."""
    model.lstm.h, model.lstm.c = h, c
    loss = 0
    for k in range(xs.shape[0]):
        loss = loss + F.softmax_cross_entropy(model.fc(model.lstm(model.embed(xs[k]))), ts[k])
    model.cleargrads()
    loss.backward()
    optimizer.update()
    h, c = model.lstm.h, model.lstm.c
    model.lstm.reset_state()  # the state goes out as results: a replay updates no layer attribute
    return loss, h, c


def bench_lstm(rounds: int, vocab: int = 100, hidden: int = 32, batch: int = 8, bptt: int = 35) -> None:
    rng = np.random.default_rng(0)
    corpus = rng.integers(0, vocab, (bptt * 20 + 1, batch))
    steps: dict[str, Step] = {}
    losses: dict[str, list[float]] = {}
    for name in ("dezero_core eager", "dezero_core compiled"):
        dz.random.seed(0)
        model = LSTMLM(vocab, hidden)
        optimizer = Adam(lr=LR).setup(model)
        step = lambda *args, model=model, optimizer=optimizer: lstm_window(model, optimizer, *args)  # noqa: E731
        if name.endswith("compiled"):
            step = dz.compile(step, passes=PASSES)
        state = {"h": np.zeros((batch, hidden), np.float32), "c": np.zeros((batch, hidden), np.float32), "i": 0}
        losses[name] = []

        def run(step: Any = step, state: dict = state, losses: list = losses[name]) -> None:
            i = state["i"] % 20 * bptt
            loss, h, c = step(corpus[i:i + bptt], corpus[i + 1:i + bptt + 1], state["h"], state["c"])
            state["h"], state["c"] = h.data, c.data  # truncated backprop: the next window starts from arrays
            state["i"] += 1
            losses.append(float(loss.data))

        steps[name] = run
    seconds = interleaved(steps, rounds, 5)
    report(f"LSTM LM (vocabulary {vocab}, hidden {hidden}, batch {batch}), {bptt}-step truncated BPTT, Adam: "
           "one window", seconds, "dezero_core eager", 1e3, "ms")
    # batch_shared_weights sums the per-step weight gradients in one product: float32 rounding, not bits
    eager, compiled = np.array(losses["dezero_core eager"]), np.array(losses["dezero_core compiled"])
    print(f"  losses of all {len(eager)} windows: largest relative difference to eager "
          f"{float(np.max(np.abs(compiled - eager) / np.abs(eager))):.1e}")
    verdict("compiled / eager", seconds["dezero_core compiled"] / seconds["dezero_core eager"], 0.4)


# -- 1000 tiny functions ------------------------------------------------------------------------------
def tiny_chain(x: Any, n_ops: int) -> Any:
    for i in range(n_ops):
        x = F.sin(x) if i % 2 else x * 1.0001
    return x


def bench_chain(rounds: int, n_ops: int = 1000, size: int = 10) -> None:
    from bench_overhead import dezero_fwd_bwd, numpy_fwd, numpy_fwd_bwd

    x0 = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    x = dz.symbol("x", (size,), "float32")
    loss = F.sum(tiny_chain(x, n_ops))
    compiled = dz.compile([loss, dz.grad(loss, x)], passes=PASSES)
    runs = {"numpy forward": lambda: numpy_fwd(x0, n_ops),
            "numpy forward + hand-written backward": lambda: numpy_fwd_bwd(x0, n_ops),
            "dezero_core eager fwd+bwd": lambda: dezero_fwd_bwd(x0, n_ops),
            "dezero_core compiled fwd+bwd": lambda: compiled(x=x0)}
    seconds = {k: v / n_ops for k, v in interleaved(runs, rounds, 3).items()}
    report(f"chain of {n_ops} tiny elementwise functions on float32[{size}]: per function", seconds,
           "numpy forward")
    verdict("compiled fwd+bwd / numpy forward", seconds["dezero_core compiled fwd+bwd"] / seconds["numpy forward"], 2.0)


# -- elementwise fusion on large arrays -----------------------------------------------------------------
CHAINS = {  # each 8 functions; the first is memory-bound, the others spend much of their time in tanh/sin
    "arithmetic (*, +, relu, *, -, *, +, relu)": lambda x: F.relu((F.relu(x * 1.0001 + 0.5) * 0.5 - 0.25) * 2.0 + 1.0),
    "arithmetic with a tanh (*, +, relu, *, -, tanh, *, +)":
        lambda x: F.tanh(F.relu(x * 1.0001 + 0.5) * 0.5 - 0.25) * 2.0 + 1.0,
    "sines (sin, * 1.0001 alternately)": lambda x: tiny_chain(x, 8),
}


def bench_fusion(rounds: int, size: int = 4 << 20) -> None:
    x0 = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    for title, chain in CHAINS.items():
        x = dz.symbol("x", (size,), "float32")
        y = chain(x)
        runs = {"unfused (compiled)": dz.compile(y, passes=UNFUSED), "fused (compiled)": dz.compile(y, passes=PASSES)}
        outputs = [f(x=x0).data for f in runs.values()]
        assert np.array_equal(*outputs), "fused and unfused results differ"
        timed = {name: (lambda f=f: f(x=x0)) for name, f in runs.items()}
        ne = _numexpr_arithmetic(x0) if title.startswith("arithmetic (") else None
        if ne is not None:
            timed["numexpr.evaluate (1 thread)"] = ne
        seconds = interleaved(timed, rounds, 3)
        report(f"8 chained elementwise functions, {title}, float32[{size}] (results equal bit for bit)",
               seconds, "unfused (compiled)", 1e3, "ms")
        verdict("fused / unfused", seconds["fused (compiled)"] / seconds["unfused (compiled)"], 0.5)


def _numexpr_arithmetic(x0: np.ndarray) -> Step | None:
    try:
        import numexpr
    except ImportError:
        return None
    numexpr.set_num_threads(int(THREADS))
    k = {name: np.float32(v) for name, v in (("a", 1.0001), ("b", 0.5), ("c", 0.25), ("d", 2.0), ("e", 1.0))}
    r1 = "where(x * a + b > 0, x * a + b, 0)"
    inner = f"({r1} * b - c) * d + e"
    expression = f"where({inner} > 0, {inner}, 0)"
    return lambda: numexpr.evaluate(expression, local_dict={"x": x0, **k})


# -- MLP 784-1000-1000-10: time and peak memory ------------------------------------------------------
def step_peak_bytes(step: Step) -> int:
    """Peak bytes allocated while ``step`` runs, above what was allocated when it started."""
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_mlp1000(rounds: int) -> None:
    steps, models, _ = mlp_steps((1000, 1000, 10), 100)
    seconds = interleaved(steps, rounds, 5)
    report("MLP 784-1000-1000-10, batch 100, float32, Adam: one training step", seconds, "dezero_core eager",
           1e3, "ms")
    verdict("compiled / eager", seconds["dezero_core compiled"] / seconds["dezero_core eager"], 0.9)
    jit_ratio(seconds)
    buffers = _compiled_buffer_bytes(steps["dezero_core compiled"])
    peaks = {name: step_peak_bytes(step) for name, step in steps.items() if name != NO_JIT}
    for name in ("dezero_core compiled", KEPT):
        peaks[name] += _compiled_buffer_bytes(steps[name])
    # tracemalloc sees numpy's array memory allocated during the step: the gradients eager's cleargrads()
    # frees were made before, and are not counted (nor are they alive at eager's peak); the "kept" step
    # holds the previous step's gradients until its set_grad nodes replace them, which is not counted
    print(f"  peak memory of one step (tracemalloc, after warm-up; compiled includes its {buffers / 1e6:.2f} MB "
          "of persistent buffers; 'gradients kept' also holds the last step's gradients, not counted):")
    for name, peak in peaks.items():
        print(f"    {name:38s} {peak / 1e6:8.2f} MB   {peak / peaks['dezero_core eager']:6.3f}x eager")
    verdict("compiled / eager peak memory", peaks["dezero_core compiled"] / peaks["dezero_core eager"], 0.7)
    parts = mlp1000_parts(models["dezero_core eager"], 100)
    seconds = interleaved(parts, rounds, 5)
    report("  its parts (eager, the same weights): the step's matrix products; an Adam update() alone",
           seconds, MATMULS, 1e3, "ms")


MATMULS = "the step's 8 matrix products"


def mlp1000_parts(model: Any, batch: int) -> dict[str, Step]:
    """The matrix products of a training step of ``model`` (an MLP; forward, and backward without the
    batch's gradient) with its shapes, and an Adam ``update()`` of copies of its weights (gradients
    of one step) four ways: the numpy kernel's flat blocks, the optimizer's row blocks with the
    kernel per block (``Optimizer.update_param``), whole arrays, numba's loop (without numba: three)."""
    from dezero_core.optimizers import blocks as blocks_module
    from dezero_core.optimizers.optimizer import Optimizer
    from dezero_numpy import jit_kernels, optimizer_kernels

    rng = np.random.default_rng(0)
    Ws = [layer.W.data for layer in model.layers]
    hs = [rng.random((batch, W.shape[0]), dtype=np.float32) for W in Ws]  # each layer's input
    gys = [rng.random((batch, W.shape[1]), dtype=np.float32) for W in Ws]  # each output's gradient

    def matmuls() -> None:
        for h, W in zip(hs, Ws):
            h @ W
        for i, (h, W, gy) in enumerate(zip(hs, Ws, gys)):
            h.T @ gy
            if i:
                gy @ W.T

    weights = [(layer.W.data, layer.b.data) for layer in model.layers]
    x, t = rng.random((batch, Ws[0].shape[0]), dtype=np.float32), rng.integers(0, 10, batch)

    def update(how: str) -> Step:
        copy = ours_mlp(weights)
        F.softmax_cross_entropy(copy(x), t).backward()
        optimizer = Adam(lr=LR).setup(copy)
        if how == "numba":  # what a compiled step does with each parameter
            jit = jit_kernels.kernel("adam")
            optimizer.update_param = lambda name, data, grad: optimizer.update_with(jit, name, data, grad)
            return optimizer.update
        if how != "kernel blocks":  # Optimizer.update_param: the row blocks (or none, whole arrays)
            optimizer.update_param = Optimizer.update_param.__get__(optimizer)
        if how != "whole":
            return optimizer.update

        def whole() -> None:
            blocks, kernel_block = blocks_module.MIN_BLOCKED_ELEMENTS, optimizer_kernels.BLOCK_ELEMENTS
            blocks_module.MIN_BLOCKED_ELEMENTS = optimizer_kernels.BLOCK_ELEMENTS = 1 << 62
            blocks_module._blocks_by_type_and_shape.clear()
            try:
                optimizer.update()
            finally:
                blocks_module.MIN_BLOCKED_ELEMENTS, optimizer_kernels.BLOCK_ELEMENTS = blocks, kernel_block
                blocks_module._blocks_by_type_and_shape.clear()
        return whole

    parts = {MATMULS: matmuls, "Adam update(): the kernel's flat blocks": update("kernel blocks"),
             "  the optimizer's row blocks": update("row blocks"), "  whole arrays": update("whole")}
    if jit_kernels.kernel("adam") is not None:
        parts["  numba's loop (compiled steps)"] = update("numba")
    return parts


def _compiled_buffer_bytes(step: Step) -> int:
    """Bytes of the persistent buffers of the compiled function ``step`` (a lambda over it) plans."""
    compiled = step.__defaults__[0]  # the CompiledFunction the lambda closes over
    return sum(math.prod(b.shape) * np.dtype(b.dtype).itemsize for b in compiled.graph.buffers)


# -- the CNN of bench_cnn ------------------------------------------------------------------------------
def bench_cnn(rounds: int, batch: int = 100) -> None:
    from bench_cnn import CNN, torch_setup

    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    dz.random.seed(0)
    model = CNN()
    steps: dict[str, Step] = {}
    compiled = dz.compile(ours_step(model, lambda x, t: F.softmax_cross_entropy(model(x), t)), passes=PASSES)
    steps["dezero_core compiled"] = lambda: compiled(x, t)
    epoch = torch_setup(model)  # the same weights, before either trains
    if epoch is not None:
        steps["PyTorch eager"] = lambda: epoch(x, t, np.arange(batch))
    dz.random.seed(0)
    eager_model = CNN()
    eager = ours_step(eager_model, lambda x, t: F.softmax_cross_entropy(eager_model(x), t))
    steps["dezero_core eager"] = lambda: eager(x, t)
    seconds = interleaved(steps, rounds, 3)
    base = "PyTorch eager" if epoch is not None else "dezero_core eager"
    report(f"CNN of bench_cnn.py, batch {batch}, Adam: one training step", seconds, base, 1e3, "ms")
    if epoch is None:
        print("  PyTorch eager: skipped (torch is not importable)")
    else:
        verdict("compiled / PyTorch eager", seconds["dezero_core compiled"] / seconds["PyTorch eager"], 1.2)


# -- ResNet-50 compile time -------------------------------------------------------------------------------
def bench_resnet(image: int = 64, batch: int = 2) -> None:
    from dezero_core.models import ResNet50

    rng = np.random.default_rng(0)
    x = rng.random((batch, 3, image, image), dtype=np.float32)
    t = rng.integers(0, 1000, batch)
    dz.random.seed(0)
    model = ResNet50()
    step = ours_step(model, lambda x, t: F.softmax_cross_entropy(model(x), t))
    step(x, t)  # eager once: lazy parameters are created, the eager step's own first-call costs paid
    start = time.perf_counter()
    step(x, t)
    eager = time.perf_counter() - start
    compiled = dz.compile(step, passes=PASSES)
    start = time.perf_counter()
    compiled(x, t)
    first = time.perf_counter() - start
    start = time.perf_counter()
    compiled(x, t)
    replay = time.perf_counter() - start
    nodes = len(compiled.graph)
    print(f"\nResNet-50 training step, batch {batch}, {image}x{image} images: {nodes} nodes after the passes")
    print(f"  first compiled call (trace, passes) {first:6.2f} s; a replay {replay:6.2f} s; "
          f"an eager step {eager:6.2f} s")
    verdict("compile time (the first call: it traces by running the step once), seconds", first, 10)


WORKLOADS = {"mlp": bench_mlp, "lstm": bench_lstm, "chain": bench_chain, "fusion": bench_fusion,
             "mlp1000": bench_mlp1000, "cnn": bench_cnn, "resnet": lambda rounds: bench_resnet()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads: " + ", ".join(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per workload (medians)")
    parser.add_argument("--threads", default="1", help="BLAS, XLA and PyTorch threads")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="time the runs by this process's CPU time (default) or by wall time")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    import_torch()  # pins PyTorch's threads where it is installed
    print(f"numpy {np.__version__}, threads {THREADS}, passes {PASSES}; medians of {args.rounds} interleaved "
          f"rounds, {args.clock} time")
    for name in args.only.split(","):
        WORKLOADS[name](args.rounds)


if __name__ == "__main__":
    main()
