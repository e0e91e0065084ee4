"""The numba-compiled Adam/AdamW update (``dezero_numpy.jit_kernels``, numpy's ``[jit]`` extra) equals
numpy's kernel bit for bit, is what a compiled training step updates its large parameters with
(compiled when the step is built), and falls back to the numpy kernel where it does not apply: other
arrays, numba switched off, a numba failure (numba missing: ``test_jit_update_fallback.py``)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import dezero_core as dz
from dezero_core.backend.selection import backend_of
from dezero_core.models import MLP
from dezero_core.optimizers import Adam, AdamW
from dezero_core.optimizers.flat import SMALL_ELEMENTS
from dezero_core.static.update import _jit_name
from dezero_numpy import jit_kernels, optimizer_kernels

from test_jit_update_fallback import training_step

numba = pytest.importorskip("numba", reason="numba is not installed: pip install 'dezero-numpy[jit]'")

HYPER = (0.9, 0.999, 0.01, 1e-8)  # beta1, beta2, step size, eps
KINDS = {"adam": (), "adamw": (0.99,)}  # kernel name -> the numbers after HYPER


def _arrays(shape: tuple[int, ...], dtype: type, seed: int = 0) -> list[np.ndarray]:
    """A parameter, a gradient and non-zero moments of ``shape``, over many magnitudes."""
    rng = np.random.default_rng(seed)
    data, m = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    grad = (rng.standard_normal(shape) * 10.0 ** rng.integers(-12, 4, shape)).astype(dtype)
    v = (rng.random(shape) * 1e-3).astype(dtype)
    return [np.asarray(a) for a in (data, grad, m, v)]  # arrays for a 0-d shape too


def _assert_bits_equal(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", list(KINDS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5), (2 * optimizer_kernels.BLOCK_ELEMENTS + 13,)],
                         ids=["0-d", "1", "7", "3x5", "blocked"])
def test_the_jit_kernel_equals_the_numpy_kernel_bit_for_bit(name, dtype, shape):
    jit, numpy_kernel = jit_kernels.kernel(name), optimizer_kernels.KERNELS[name]
    ours = _arrays(shape, dtype)
    theirs = [a.copy() for a in ours]
    for step in range(4):
        grad = _arrays(shape, dtype, seed=step + 1)[1]
        ours[1][...] = grad
        theirs[1][...] = grad
        jit(*ours, 0.9, 0.999, 0.01 * (step + 1), 1e-8, *KINDS[name])
        numpy_kernel(*theirs, 0.9, 0.999, 0.01 * (step + 1), 1e-8, *KINDS[name])
    _assert_bits_equal(ours, theirs)
    assert not np.array_equal(ours[0], _arrays(shape, dtype)[0])  # it did update


def test_in_a_denormal_flushing_scope_the_jit_kernel_flushes_as_the_numpy_kernel_does():
    tiny = np.finfo(np.float32).smallest_normal
    ours = [np.full(9, x, np.float32) for x in (1.0, tiny * 3, tiny * 4, tiny * 2)]  # g² and (1-b1)g underflow
    exact = [a.copy() for a in ours]
    theirs = [a.copy() for a in ours]
    kernel = jit_kernels.kernel("adam")
    with backend_of(ours[0]).compute_scope(flush_denormals=True) as flushing:
        if not flushing:
            pytest.skip("this CPU cannot flush denormals")
        kernel(*ours, *HYPER)
        optimizer_kernels.adam(*theirs, *HYPER)
    kernel(*exact, *HYPER)
    _assert_bits_equal(ours, theirs)
    assert not np.array_equal(ours[2], exact[2])  # the flush changed the moments


def _recording(name: str) -> tuple[jit_kernels.JitKernel, list]:
    """A kernel whose loop records its calls (and does the real loop's work)."""
    real, calls = jit_kernels.kernel(name), []

    def loop(*args):
        calls.append(args)
        real.loop(*args)
    return jit_kernels.JitKernel(loop, real.fallback), calls


@pytest.mark.parametrize("case", ["transposed", "strided", "float16", "mixed dtypes", "python float grad"])
def test_other_arrays_take_the_numpy_kernel(case):
    kernel, calls = _recording("adam")
    shape, dtype = ((4, 6), np.float16) if case == "float16" else ((4, 6), np.float32)
    ours = _arrays(shape, dtype)
    ours[1] = np.clip(ours[1], -100, 100)  # no overflow of g² in float16
    if case == "transposed":
        ours = [a.T for a in ours]
    elif case == "strided":
        ours = [np.repeat(a, 2, axis=1)[:, ::2] for a in ours]
    elif case == "mixed dtypes":
        ours[1] = ours[1].astype(np.float64)
    elif case == "python float grad":
        ours = [np.asarray(a[0, 0]) for a in ours]
        ours[1] = float(ours[1])
    theirs = [a.copy() if isinstance(a, np.ndarray) else a for a in ours]
    kernel(*ours, *HYPER)
    optimizer_kernels.adam(*theirs, *HYPER)
    assert calls == []
    _assert_bits_equal([ours[i] for i in (0, 2, 3)], [theirs[i] for i in (0, 2, 3)])


def test_a_contiguous_view_takes_the_loop_and_updates_its_base():
    kernel, calls = _recording("adam")
    base = _arrays((6, 5), np.float32)
    ours = [a[2:4] for a in base]  # row slices: C-contiguous views
    want = [a.copy() for a in ours]
    kernel(*ours, *HYPER)
    optimizer_kernels.adam(*want, *HYPER)
    assert len(calls) == 1
    _assert_bits_equal([base[i][2:4] for i in range(4)], want)


def test_a_numba_failure_warns_once_and_falls_back():
    def broken(*args):
        raise numba.core.errors.TypingError("no implementation")
    kernel = jit_kernels.JitKernel(broken, optimizer_kernels.adam)
    ours = _arrays((5,), np.float32)
    theirs = [a.copy() for a in ours]
    with pytest.warns(RuntimeWarning, match="numba could not compile the fused optimizer update"):
        kernel(*ours, *HYPER)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kernel(*ours, *HYPER)
    for _ in range(2):
        optimizer_kernels.adam(*theirs, *HYPER)
    _assert_bits_equal(ours, theirs)


def test_without_a_writable_cache_the_loops_compile_uncached(monkeypatch):
    njit = numba.njit

    def no_cache_dir(*args, cache=False, **kwargs):
        if cache:
            raise RuntimeError("cannot cache function: no locator available")
        return njit(*args, **kwargs)
    monkeypatch.setattr(numba, "njit", no_cache_dir)
    loop = jit_kernels._loop()
    ours = [a.reshape(-1) for a in _arrays((3, 3), np.float64)]
    theirs = [a.copy() for a in ours]
    beta1, beta2, step, eps = HYPER
    loop(*ours, 1.0 - beta1, beta1, 1.0 - beta2, beta2, eps, step, 1.0)
    optimizer_kernels.adam(*theirs, *HYPER)
    _assert_bits_equal(ours, theirs)


# -- the compiled training step ------------------------------------------------------------------
#: a first layer larger than a flat group's members, so that its weight is updated on its own
SIZES = (SMALL_ELEMENTS // 16 + 1, 3)
DATA = [(np.random.default_rng(i).standard_normal((4, 16)).astype(np.float32),
         np.random.default_rng(i).integers(0, 3, 4)) for i in range(6)]


def _train(make_optimizer, compiled: bool, dtype=np.float32) -> tuple[list, list, dict]:
    dz.random.seed(0)
    model = MLP(SIZES)
    model(DATA[0][0].astype(dtype))  # create the weights
    for p in model.params():
        p.data = p.data.astype(dtype)
    optimizer = make_optimizer().setup(model)
    step = training_step(model, optimizer)
    run = dz.compile(step) if compiled else step
    losses = [float(run(x.astype(dtype), t).data) for x, t in DATA]
    state = {f"{n}.{k}": v.copy() for n, slots in optimizer.state.items() for k, v in slots.items()}
    return losses, [p.data.copy() for p in model.params()], state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [Adam, lambda: AdamW(weight_decay=0.1)], ids=["adam", "adamw"])
def test_a_compiled_step_updates_with_the_jit_kernel_as_eager_does_bit_for_bit(make, dtype, monkeypatch):
    name = "adam" if make is Adam else "adamw"
    kernel, calls = _recording(name)
    monkeypatch.setattr(jit_kernels, "_kernels", {**jit_kernels._kernels, name: kernel})
    eager = _train(make, compiled=False, dtype=dtype)
    assert calls == []  # eager update() keeps numpy's kernel
    compiled = _train(make, compiled=True, dtype=dtype)
    # warmed on a 1-element array in the first call (the trace), then the weight in each replay
    assert [len(c[0]) for c in calls] == [1] + [SIZES[0] * 16] * (len(DATA) - 1)
    assert eager[0] == compiled[0]
    _assert_bits_equal(compiled[1], eager[1])
    assert eager[2].keys() == compiled[2].keys()
    _assert_bits_equal([compiled[2][k] for k in eager[2]], list(eager[2].values()))


def test_the_first_call_compiles_the_jit_kernel_for_the_parameters_dtype(monkeypatch):
    kernel, calls = _recording("adamw")
    monkeypatch.setattr(jit_kernels, "_kernels", {**jit_kernels._kernels, "adamw": kernel})
    dz.random.seed(0)
    model = MLP(SIZES)
    dz.compile(training_step(model, AdamW().setup(model)))(*DATA[0])
    assert kernel._warm == {np.dtype(np.float32)}
    assert [len(c[0]) for c in calls] == [1]


def test_switched_off_a_compiled_step_uses_the_numpy_kernel(monkeypatch):
    kernel, calls = _recording("adam")
    monkeypatch.setattr(jit_kernels, "_kernels", {**jit_kernels._kernels, "adam": kernel})
    monkeypatch.setattr(jit_kernels, "ENABLED", False)
    eager, compiled = _train(Adam, compiled=False), _train(Adam, compiled=True)
    assert calls == []
    assert eager[0] == compiled[0]
    _assert_bits_equal(compiled[1], eager[1])


def test_a_subclass_overriding_update_param_is_not_given_the_jit_kernel():
    class Logged(Adam):
        def update_param(self, name, data, grad):
            super().update_param(name, data, grad)

    class Renamed(AdamW):
        pass
    assert _jit_name(Adam()) == "adam" and _jit_name(Renamed()) == "adamw"
    assert _jit_name(Logged()) is None
