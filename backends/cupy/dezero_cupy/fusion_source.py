"""The CUDA source of one ``cupy.ElementwiseKernel`` for a fused elementwise chain.

:func:`kernel_source` turns an :class:`~dezero_core.backend.elementwise.ElementwiseProgram` into the
four arguments of ``cupy.ElementwiseKernel(in_params, out_params, operation, name)``: one thread per
output element runs every step in registers, so the chain reads its inputs and writes its outputs
once instead of once per step. Kept apart from :mod:`dezero_cupy.fusion` (which builds the kernel
with cupy) so that the text can be generated and checked without cupy or a GPU
(``tests/static/test_fusion_cupy_source.py`` interprets it with numpy).

Each step is one statement rounding to ``T``, in the program's order; compiled with
:data:`OPTIONS` (no contraction into fused multiply-adds) each rounds as numpy's ufunc does, except
for the transcendental functions, whose CUDA implementations may differ from numpy's by an ulp or two.
"""
from __future__ import annotations

import hashlib
import math

from dezero_core.backend.elementwise import ElementwiseProgram

#: NVRTC options: no contraction of a multiplication and an addition into one rounding (as numpy)
OPTIONS = ("--fmad=false",)

#: the dtypes the generated kernel serves; float16 stays unfused (CUDA's half math differs per op)
DTYPES = {"float32": "float", "float64": "double"}

_UNARY = {"negative": "-{0}", "exp": "exp({0})", "log": "log({0})", "sin": "sin({0})", "cos": "cos({0})",
          "tanh": "tanh({0})", "sqrt": "sqrt({0})", "abs": "fabs({0})", "square": "{0} * {0}"}
# numpy's maximum/minimum propagate NaN from either side; CUDA's fmax/fmin drop it
_BINARY = {"add": "{0} + {1}", "subtract": "{0} - {1}", "multiply": "{0} * {1}", "divide": "{0} / {1}",
           "pow": "pow({0}, {1})", "maximum": "({0} != {0} || {0} > {1}) ? {0} : {1}",
           "minimum": "({0} != {0} || {0} < {1}) ? {0} : {1}"}


def kernel_source(program: ElementwiseProgram) -> tuple[str, str, str, str] | None:
    """``(in_params, out_params, operation, name)`` computing ``program``; None for a dtype the
    kernel does not serve (see :data:`DTYPES`), a program without inputs or a constant that is not
    finite (C has no literal for it).

    Names are the kernel's own (``in0``, ``v0``, ``out0``): a program's names need not be C
    identifiers. Constants are written as ``(T)`` casts of their exact decimal form, which round
    as numpy rounds a Python number to the dtype.
    """
    if program.dtype not in DTYPES or not program.inputs or not all(
            math.isfinite(a) for step in program.steps for a in step.args if not isinstance(a, str)):
        return None
    names = {name: f"in{i}" for i, name in enumerate(program.inputs)}
    lines = []
    for index, step in enumerate(program.steps):
        operands = [names[a] if isinstance(a, str) else f"((T){float(a)!r})" for a in step.args]
        template = _UNARY.get(step.op) or _BINARY[step.op]
        names[step.result] = f"v{index}"
        lines.append(f"T v{index} = {template.format(*operands)};")
    lines += [f"out{j} = {names[name]};" for j, name in enumerate(program.outputs)]
    in_params = ", ".join(f"T in{i}" for i in range(len(program.inputs)))
    out_params = ", ".join(f"T out{j}" for j in range(len(program.outputs)))
    operation = "\n".join(lines)
    digest = hashlib.sha1(f"{in_params}|{out_params}|{operation}".encode()).hexdigest()[:12]
    return in_params, out_params, operation, f"dezero_fused_{digest}"
