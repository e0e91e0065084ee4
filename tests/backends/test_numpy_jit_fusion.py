"""dezero_numpy.jit_fusion: chains of exact arithmetic as one numba loop, bit for bit numpy's."""
import numpy as np
import pytest

from dezero_core.backend.elementwise import ElementwiseProgram, Step
from dezero_numpy import NumpyBackend, fusion, jit_fusion, jit_kernels

pytest.importorskip("numba", reason="numba is not installed: pip install 'dezero-numpy[jit]'")

N = jit_fusion.MIN_SIZE


@pytest.fixture(autouse=True)
def _jit_enabled(monkeypatch):
    """The kernels under test even where DEZERO_NUMPY_JIT=0 switches them off for the rest."""
    monkeypatch.setattr(jit_kernels, "ENABLED", True)
SPECIALS = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -3.5, 2.0]
BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum"]
UNARY = ["negative", "abs", "square", "sqrt"]


def _input(rng, dtype, shape):
    """Random values with NaN, infinities, signed zeros and subnormals sprinkled in."""
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    picks = rng.integers(0, flat.size, size=flat.size // 8)
    flat[picks] = rng.choice(np.array(SPECIALS, dtype), size=picks.size)
    return x


def _random_program(rng, dtype, n_steps=8):
    """A program of random exact ops on two full inputs and a 0-d one, with constants and two outputs."""
    inputs, names = ("x", "y", "s"), ["x", "y", "s"]
    steps = []
    for i in range(n_steps):
        if rng.random() < 0.3:
            args = (str(rng.choice(names)),)
            op = str(rng.choice(UNARY))
        else:
            op = str(rng.choice(BINARY))
            a = str(rng.choice(names))
            if rng.random() < 0.3:
                b = float(rng.choice([0.0, -0.0, 1.5, 0.1, np.nan, -np.inf]))
            else:
                b = str(rng.choice(names))
            args = (a, b) if rng.random() < 0.5 else (b, a)
        steps.append(Step(f"t{i}", op, args))
        names.append(f"t{i}")
    return ElementwiseProgram(inputs=inputs, input_shapes=((N,), (N,), ()), steps=tuple(steps),
                              outputs=(f"t{n_steps - 1}", str(rng.choice(names[:-1]))), shape=(N,), dtype=dtype)


def _assert_bits_equal(actual, expected):
    """Equal to the bit (sign of zero included); NaN where NaN (its payload is the hardware's)."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(actual), nan)
    uint = np.uint32 if actual.dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(actual[~nan].view(uint), expected[~nan].view(uint))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", range(6))
def test_random_programs_equal_numpy_bit_for_bit(dtype, seed):
    rng = np.random.default_rng(seed)
    program = _random_program(rng, dtype)
    kernel = jit_fusion.fuse(program)
    assert isinstance(kernel, jit_fusion.JitKernel), kernel
    x, y = _input(rng, dtype, (N,)), _input(rng, dtype, (N,))
    for s in (np.asarray(0.5, dtype), np.asarray(np.nan, dtype), np.asarray(-0.0, dtype)):
        with np.errstate(all="ignore"):  # NaN and infinities are the point here
            expected_outputs = program.evaluate(np, x, y, s)
        for actual, expected in zip(kernel(x, y, s), expected_outputs):
            # a step of only the 0-d input and constants evaluates to 0-d: the kernel broadcasts it
            _assert_bits_equal(actual, np.broadcast_to(expected, program.shape))


@pytest.mark.parametrize("first, second", [(np.nan, 1.0), (1.0, np.nan), (0.0, -0.0), (-0.0, 0.0),
                                           (np.nan, -np.nan), (-np.inf, np.inf)])
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_follow_numpy_on_nan_and_signed_zeros(op, first, second):
    program = ElementwiseProgram(inputs=("a", "b"), input_shapes=((N,), (N,)), steps=(Step("r", op, ("a", "b")),),
                                 outputs=("r",), shape=(N,), dtype="float32")
    a, b = np.full(N, first, np.float32), np.full(N, second, np.float32)
    (actual,) = jit_fusion.fuse(program)(a, b)
    expected = getattr(np, op)(a, b)
    np.testing.assert_array_equal(actual.view(np.uint32), expected.view(np.uint32))


def test_writes_to_out_and_passes_an_input_through():
    program = ElementwiseProgram(inputs=("x", "c"), input_shapes=((4, N // 4), (1, 1)), dtype="float64",
                                 steps=(Step("t", "multiply", ("x", 3.0)), Step("u", "add", ("t", "c"))),
                                 outputs=("u", "c"), shape=(4, N // 4))
    x, c = np.arange(N, dtype=np.float64).reshape(4, N // 4), np.asarray([[0.1]])
    out = [np.empty((4, N // 4)), np.empty((4, N // 4))]
    results = jit_fusion.fuse(program)(x, c, out=out)
    assert results[0] is out[0] and results[1] is out[1]
    np.testing.assert_array_equal(out[0], x * 3.0 + 0.1)
    np.testing.assert_array_equal(out[1], np.full((4, N // 4), 0.1))


def test_float32_constants_are_rounded_to_float32_not_promoted():
    # 0.1 in float64 then rounded differs from float32 0.1 * x for many x
    program = ElementwiseProgram(inputs=("x",), input_shapes=((N,),), steps=(Step("t", "multiply", ("x", 0.1)),
                                 Step("u", "add", ("t", 1e-3))), outputs=("u",), shape=(N,), dtype="float32")
    x = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    (actual,) = jit_fusion.fuse(program)(x)
    expected = x * np.float32(0.1) + np.float32(1e-3)
    np.testing.assert_array_equal(actual.view(np.uint32), expected.view(np.uint32))


def _chain(op="multiply", size=fusion.MIN_SIZE, dtype="float32"):
    return ElementwiseProgram(inputs=("x",), input_shapes=((size,),), dtype=dtype,
                              steps=(Step("t", op, ("x",) if op in ("tanh", "exp", "sin") else ("x", 2.0)),),
                              outputs=("t",), shape=(size,))


@pytest.mark.parametrize("program", [
    _chain("tanh"), _chain("exp"), _chain(size=N // 2), _chain(dtype="float16"),
], ids=["tanh", "exp", "small", "float16"])
def test_other_programs_are_not_jitted(program):
    assert jit_fusion.fuse(program) is None
    kernel = NumpyBackend().fuse_elementwise(program)  # the numpy path, or nothing, for them
    assert kernel is None or isinstance(kernel, fusion.BlockedKernel)


def test_transcendental_program_takes_the_numpy_path():
    assert isinstance(NumpyBackend().fuse_elementwise(_chain("sin")), fusion.BlockedKernel)
    assert isinstance(NumpyBackend().fuse_elementwise(_chain("multiply")), jit_fusion.JitKernel)


def test_disabled_jit_falls_back_to_the_numpy_kernel(monkeypatch):
    monkeypatch.setattr(jit_kernels, "ENABLED", False)
    program = _chain("multiply")
    assert jit_fusion.fuse(program) is None
    kernel = NumpyBackend().fuse_elementwise(program)
    assert isinstance(kernel, fusion.BlockedKernel)
    x = np.linspace(-1, 1, fusion.MIN_SIZE, dtype=np.float32)
    np.testing.assert_array_equal(kernel(x)[0], x * np.float32(2.0))


def test_a_compiled_arithmetic_chain_runs_the_jit_kernel_and_equals_eager():
    import dezero_core as dz
    from dezero_core import functions as F

    def chain(x):
        return F.relu((F.relu(x * 1.0001 + 0.5) * 0.5 - 0.25) / 3.0 + 1.0)

    x0 = np.random.default_rng(4).standard_normal(N).astype(np.float32)
    x0[:4] = [np.nan, -0.0, np.inf, -np.inf]
    f = dz.compile(chain(dz.symbol("x", (N,), "float32")))
    got, want = f(x=x0).data, chain(dz.Variable(x0)).data
    assert [n.op for n in f.graph.nodes] == ["FusedElementwise"]
    assert isinstance(next(iter(f.graph.nodes[0].fn._kernels.values())), jit_fusion.JitKernel)
    _assert_bits_equal(got, want)
