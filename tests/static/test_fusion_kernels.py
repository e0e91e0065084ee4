"""The backends' fused elementwise kernels against the unfused program, step by step.

numpy's blocked kernel runs numpy's own ufuncs in the program's order, so it must equal
``ElementwiseProgram.evaluate`` to the bit. The cupy kernel cannot run here (no GPU): its generated
CUDA text is interpreted with numpy arrays, statement by statement, which checks the translation of
every operation (NaN handling of maximum/minimum, constants rounded to ``T``); that CUDA compiles
and runs is for a machine with a GPU.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from dezero_core.backend.elementwise import BINARY, UNARY, ElementwiseProgram, Step
from dezero_cupy import fusion_source
from dezero_numpy import fusion as numpy_fusion


def chain(n: int, ops: list[tuple[str, object]], dtype: str = "float32") -> ElementwiseProgram:
    """A linear chain over one input ``x`` of n elements: each op reads the previous result."""
    steps, prev = [], "x"
    for i, (op, constant) in enumerate(ops):
        args = (prev,) if op in UNARY else (prev, constant)
        steps.append(Step(f"t{i}", op, args))
        prev = f"t{i}"
    return ElementwiseProgram(("x",), ((n,),), tuple(steps), (prev,), (n,), dtype)


EVERY_OP = [("multiply", 0.75), ("add", 0.5), ("sin", None), ("maximum", 0.1), ("sqrt", None),
            ("subtract", 0.25), ("exp", None), ("divide", 3.0), ("log", None), ("negative", None),
            ("tanh", None), ("minimum", 0.3), ("cos", None), ("abs", None), ("pow", 2), ("square", None)]


def test_every_operation_is_in_the_chain_used_below():
    assert {op for op, _ in EVERY_OP} == UNARY | BINARY


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 64 elements and no size threshold, so small arrays cross block boundaries."""
    monkeypatch.setattr(numpy_fusion, "BLOCK_BYTES", 64 * 4)
    monkeypatch.setattr(numpy_fusion, "MIN_SIZE", 0)


# -- the program itself ---------------------------------------------------------------------------
@pytest.mark.parametrize("steps, message", [
    ((Step("t0", "erfc", ("x",)),), "unknown operation 'erfc'"),
    ((Step("t0", "add", ("x",)),), "add takes 2 operands, got 1"),
    ((Step("t0", "sin", ("y",)),), "reads 'y' before it is defined"),
    ((Step("x", "sin", ("x",)),), "redefines a name"),
])
def test_a_malformed_program_is_refused_naming_the_step(steps, message):
    with pytest.raises(ValueError, match=message):
        ElementwiseProgram(("x",), ((3,),), steps, (steps[-1].result,), (3,), "float32")


def test_a_program_in_an_integer_dtype_is_refused():
    with pytest.raises(ValueError, match="not 'int32'"):
        ElementwiseProgram(("x",), ((3,),), (), ("x",), (3,), "int32")


def test_evaluate_keeps_float32_with_python_constants():
    program = chain(5, [("multiply", 1.0001), ("add", 0.5)])
    (y,) = program.evaluate(np, np.arange(5, dtype=np.float32))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.arange(5, dtype=np.float32) * np.float32(1.0001) + np.float32(0.5))


# -- numpy: blocks in cache ------------------------------------------------------------------------
def test_numpy_blocked_kernel_equals_the_steps_bit_for_bit_across_blocks(small_blocks):
    program = chain(1000, EVERY_OP)  # 15 full blocks and a partial one
    x = np.random.default_rng(0).uniform(0.2, 2.0, 1000).astype(np.float32)
    kernel = numpy_fusion.fuse(program)
    np.testing.assert_array_equal(kernel(x)[0], program.evaluate(np, x)[0])


def test_numpy_kernel_serves_several_outputs_a_scalar_input_and_out(small_blocks):
    program = ElementwiseProgram(
        ("x", "b"), ((10, 30), ()),
        (Step("s", "multiply", ("x", "b")), Step("u", "add", ("s", 1.5)), Step("w", "tanh", ("s",)),
         Step("z", "multiply", ("u", "w"))),
        ("z", "s"), (10, 30), "float64")
    x, b = np.random.default_rng(1).standard_normal((10, 30)), np.float64(0.3)
    out = [np.full((10, 30), np.nan), np.full((10, 30), np.nan)]
    results = numpy_fusion.fuse(program)(x, b, out=out)
    assert results[0] is out[0] and results[1] is out[1]
    for got, want in zip(out, program.evaluate(np, x, np.asarray(b))):
        np.testing.assert_array_equal(got, want)


def test_numpy_kernel_reads_a_non_contiguous_input(small_blocks):
    program = chain(6 * 50, [("multiply", 2.0), ("sin", None)])
    base = np.random.default_rng(2).standard_normal((50, 12)).astype(np.float32)
    x = base[:, ::2]  # a strided view of 300 elements
    program = ElementwiseProgram(("x",), ((50, 6),), program.steps, program.outputs, (50, 6), "float32")
    np.testing.assert_array_equal(numpy_fusion.fuse(program)(x)[0], program.evaluate(np, x)[0])


def test_numpy_kernel_reuses_dead_scratch_buffers():
    # a linear chain needs no scratch at all beyond one buffer: each step overwrites the last
    program = chain(1 << 20, [("multiply", 2.0), ("add", 1.0), ("sin", None), ("multiply", 0.5)])
    assert numpy_fusion.BlockedKernel(program).n_scratch == 1


def test_numpy_leaves_small_programs_and_broadcast_inputs_unfused():
    assert numpy_fusion.fuse(chain(numpy_fusion.MIN_SIZE - 1, [("sin", None)])) is None
    n = numpy_fusion.MIN_SIZE
    broadcast = ElementwiseProgram(("x", "b"), ((n // 4, 4), (4,)), (Step("y", "add", ("x", "b")),), ("y",),
                                   (n // 4, 4), "float32")
    assert numpy_fusion.fuse(broadcast) is None


def test_the_numpy_backend_offers_the_capability():
    from dezero_core import get_backend

    program = chain(numpy_fusion.MIN_SIZE, [("sin", None)])
    assert get_backend("numpy").fuse_elementwise(program) is not None


# -- cupy: the generated ElementwiseKernel, interpreted with numpy ----------------------------------
def interpret(source: tuple[str, str, str, str], dtype: str, *inputs: np.ndarray) -> list[np.ndarray]:
    """Run the kernel body with numpy arrays of ``T`` standing for every thread's registers."""
    in_params, out_params, operation, _ = source
    t = np.dtype(dtype).type
    env = {"T": t, "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
           "sqrt": np.sqrt, "fabs": np.abs, "pow": np.power, "where": np.where}
    env.update({p.split()[-1]: x for p, x in zip(in_params.split(", "), inputs)})
    for line in operation.splitlines():
        m = re.fullmatch(r"(?:T )?(\w+) = (.*);", line)
        assert m, f"a statement the interpretation does not know: {line!r}"
        target, value = m.groups()
        value = re.sub(r"\(T\)([\w.+-]+)", r"T(\1)", value)  # a C cast of a constant
        value = re.sub(r"\(([\w().]+) != \1 \|\| \1 ([<>]) ([\w().]+)\) \? \1 : \3",
                       r"where((\1 != \1) | (\1 \2 \3), \1, \3)", value)
        env[target] = np.asarray(eval(value, env), dtype=t)  # noqa: S307  (our generated text)
    return [env[p.split()[-1]] for p in out_params.split(", ")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cupy_kernel_source_computes_the_program(dtype):
    program = chain(64, EVERY_OP, dtype)
    x = np.random.default_rng(3).uniform(0.2, 2.0, 64).astype(dtype)
    x[5] = np.nan  # maximum/minimum must carry it as numpy's do
    (got,) = interpret(fusion_source.kernel_source(program), dtype, x)
    np.testing.assert_array_equal(got, program.evaluate(np, x)[0])
    assert np.isnan(got[5])


def test_cupy_kernel_source_has_one_parameter_per_input_and_output():
    program = ElementwiseProgram(("a", "b"), ((3,), (3,)),
                                 (Step("s", "add", ("a", "b")), Step("p", "multiply", ("s", 2.0))),
                                 ("p", "s"), (3,), "float32")
    in_params, out_params, operation, name = fusion_source.kernel_source(program)
    assert (in_params, out_params) == ("T in0, T in1", "T out0, T out1")
    assert operation.splitlines() == ["T v0 = in0 + in1;", "T v1 = v0 * ((T)2.0);", "out0 = v1;", "out1 = v0;"]
    assert re.fullmatch(r"dezero_fused_[0-9a-f]{12}", name)


def test_cupy_kernel_source_declines_float16_and_infinite_constants():
    assert fusion_source.kernel_source(chain(4, [("sin", None)], "float16")) is None
    assert fusion_source.kernel_source(chain(4, [("add", float("inf"))])) is None
