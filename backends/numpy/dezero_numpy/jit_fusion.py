"""Fused elementwise chains of exact arithmetic as one numba loop (the ``[jit]`` extra).

:mod:`dezero_numpy.fusion` runs a chain as one numpy ufunc per step over cache-sized blocks: every
step still reads and writes its block. Here the program becomes the source of one ``@njit`` loop
over the elements, each element's whole chain computed in registers: one read of each input, one
write of each output. Measured (``benchmarks/bench_static.py --only fusion``, one thread, CPU time):
the 8-step arithmetic chain on 4M float32 takes 0.11-0.12x the unfused time, against 0.48-0.52x for
the blocked numpy kernel. Inputs that are not C-contiguous are copied first.

Only programs of IEEE-exact operations (:data:`EXACT_OPS`: correctly rounded in IEEE 754, so every
compiler computes them to the same bit) in float32 or float64 take this path, so the results are
numpy's to the bit: per element the same operations in the program's order, in its dtype (constants
and 0-d inputs rounded to it first, as the numpy path's 0-d constants are), ``error_model='numpy'``
(no division checks: ``x / 0`` is ``inf``, as numpy's) and no ``fastmath`` (it would contract
``a * b + c`` into one FMA and drop NaN semantics). ``maximum``/``minimum`` are written out as
numpy computes them: a NaN first operand is the result, else ``a > b ? a : b`` (so a NaN second
operand is the result, and of two zeros the second is). Transcendental functions (``exp``,
``sin``...) differ between numba's and numpy's vector libraries in the last bit, so such programs
keep the numpy path, as do programs whose inputs are neither of the program's full shape nor
single elements.

numba compiles a kernel when :func:`fuse` is called (graph compile time: about 0.12 s a program,
plus about 0.6 s for the first in a process, which imports numba), never in a replay. The source is
generated, so numba's disk cache cannot hold it: each process compiles its programs again.
Without numba, with ``DEZERO_NUMPY_JIT=0`` in the environment, with
:data:`dezero_numpy.jit_kernels.ENABLED` set False, or when numba fails (one warning), :func:`fuse`
returns None and the caller takes the numpy path.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from dezero_core.backend.elementwise import ElementwiseProgram
from dezero_numpy import jit_kernels

#: the operations a jitted program may contain: each correctly rounded, so equal to numpy's to the bit
EXACT_OPS = frozenset({"add", "subtract", "multiply", "divide", "maximum", "minimum", "negative", "abs",
                       "square", "sqrt"})
#: programs with fewer output elements than this are not jitted. The loop is faster than the unfused
#: steps at every size (an 8-step float32 chain: 0.3x at 256 elements, 0.2x at 16K, 0.04x at 64K, CPU
#: time, one thread), but each program costs ~0.12 s of graph compile time; from 64K elements a
#: replay saves ~0.7 ms, so the compile pays for itself within a few hundred replays.
MIN_SIZE = 1 << 16

# each operation as a Python expression of its operands' names (a, b), as numba compiles it
_EXPRESSIONS = {
    "add": "{a} + {b}", "subtract": "{a} - {b}", "multiply": "{a} * {b}", "divide": "{a} / {b}",
    # numpy's maximum/minimum: a NaN ``a`` wins, else the comparison (a NaN ``b`` fails it and wins)
    "maximum": "{a} if ({a} != {a} or {a} > {b}) else {b}",
    "minimum": "{a} if ({a} != {a} or {a} < {b}) else {b}",
    "negative": "-{a}", "abs": "abs({a})", "square": "{a} * {a}", "sqrt": "np.sqrt({a})",
}

_failed = False


def applies(program: ElementwiseProgram) -> bool:
    """Whether ``program`` can run as a numba loop bit for bit equal to numpy (see the module doc)."""
    return (program.dtype in ("float32", "float64") and program.size >= MIN_SIZE
            and all(step.op in EXACT_OPS for step in program.steps)
            and all(tuple(shape) == tuple(program.shape) or math.prod(shape) == 1
                    for shape in program.input_shapes))


def fuse(program: ElementwiseProgram) -> "JitKernel | None":
    """A compiled :class:`JitKernel` for ``program``, or None where it does not apply
    (:func:`applies`), numba is missing or switched off, or compiling fails (one warning)."""
    global _failed
    if _failed or not jit_kernels.ENABLED or not applies(program):
        return None
    try:
        import numba
    except ImportError:
        return None
    try:
        return JitKernel(program, numba)
    except Exception as error:  # noqa: BLE001 - a compile failure must not break the graph
        _failed = True
        warnings.warn(f"dezero-numpy: numba could not compile a fused elementwise chain ({error!r}); "
                      "using the numpy kernel instead", RuntimeWarning, stacklevel=2)
        return None


def scalar_inputs(program: ElementwiseProgram) -> list[bool]:
    """For each input of ``program``, whether the loop takes it as one 0-d number (a single element
    broadcast over the program's shape) rather than an array it indexes."""
    return [math.prod(shape) == 1 and tuple(shape) != tuple(program.shape) for shape in program.input_shapes]


def loop_source(program: ElementwiseProgram) -> tuple[str, list[float]]:
    """The source of ``loop(*inputs, *constants, *outputs)`` computing ``program`` element by
    element (inputs: 1-D arrays or 0-d scalars, outputs: 1-D arrays), and the constants it takes."""
    names: dict[str, str] = {}
    constants: list[float] = []
    scalar = scalar_inputs(program)
    params = [f"i{j}" for j in range(len(program.inputs))]
    body = []
    for j, name in enumerate(program.inputs):
        names[name] = f"i{j}" if scalar[j] else f"x{j}"
        if not scalar[j]:
            body.append(f"x{j} = i{j}[k]")

    def operand(arg: Any) -> str:
        if isinstance(arg, str):
            return names[arg]
        constants.append(arg)  # a parameter, so it is a number of the program's dtype
        return f"c{len(constants) - 1}"

    for index, step in enumerate(program.steps):
        operands = [operand(arg) for arg in step.args]
        names[step.result] = f"t{index}"
        body.append(f"t{index} = " + _EXPRESSIONS[step.op].format(a=operands[0], b=operands[-1]))
    outputs = [f"o{j}" for j in range(len(program.outputs))]
    body += [f"{o}[k] = {names[name]}" for o, name in zip(outputs, program.outputs)]
    signature = ", ".join(params + [f"c{j}" for j in range(len(constants))] + outputs)
    lines = [f"def loop({signature}):", f"    for k in range({outputs[0]}.size):"]
    return "\n".join(lines + [f"        {line}" for line in body]) + "\n", constants


class JitKernel:
    """``kernel(*inputs, out=None)``: the program's outputs (the :data:`FusedKernel` protocol of
    :mod:`dezero_core.backend.elementwise`), from one numba loop compiled at construction."""

    def __init__(self, program: ElementwiseProgram, numba: Any) -> None:
        self.program = program
        self.dtype = np.dtype(program.dtype)
        self.scalar_inputs = scalar_inputs(program)
        self.source, constants = loop_source(program)
        self.constants = [self.dtype.type(c) for c in constants]  # rounded once, as numpy's 0-d constants
        namespace: dict[str, Any] = {"np": np}
        exec(compile(self.source, f"<dezero fused chain {id(self):x}>", "exec"), namespace)  # noqa: S102
        self.loop: Callable = numba.njit(error_model="numpy", nogil=True)(namespace["loop"])
        self._compile()

    def _compile(self) -> None:
        """Run the loop once on one element, so numba compiles it now rather than in a replay."""
        one = np.zeros(1, self.dtype)
        inputs = [self.dtype.type(0) if s else one for s in self.scalar_inputs]
        self.loop(*inputs, *self.constants, *[one.copy() for _ in self.program.outputs])

    def __call__(self, *inputs: Any, out: Sequence[Any] | None = None) -> tuple[Any, ...]:
        program, dtype = self.program, self.dtype
        flat = [dtype.type(np.asarray(x, dtype).reshape(())) if scalar
                else np.ascontiguousarray(x, dtype).reshape(-1)
                for x, scalar in zip(inputs, self.scalar_inputs)]
        results = list(out) if out is not None else [np.empty(program.shape, dtype) for _ in program.outputs]
        if not all(r.flags.c_contiguous for r in results):  # else reshape copies: the loop's writes are lost
            raise ValueError("fused elementwise kernel: out= arrays must be C-contiguous")
        flat_out = [r.reshape(-1) for r in results]
        self.loop(*flat, *self.constants, *flat_out)
        return tuple(results)
