"""Fused elementwise chains on numpy: the whole chain per cache-sized block, ufuncs writing in place.

Unfused, each step of a chain reads and writes the whole array and allocates a fresh one (on large
arrays a fresh mmap, paid again in page faults). Here the chain runs on one block of elements at a
time (:data:`BLOCK_BYTES`), every step a numpy ufunc with ``out=`` into a block-sized scratch buffer
that a later step reuses once its value is dead: the data stays in cache between steps and nothing
is allocated per step. The arithmetic is numpy's own (its SIMD loops, one ufunc per step, in the
program's order), so the results equal the unfused steps' to the bit.

Measured (``benchmarks/bench_fusion.py``, 1 thread, float32): 8 steps on 4M elements take 0.3x the
unfused time for arithmetic chains and ~0.7x for chains of sines (which are compute-bound); below
:data:`MIN_SIZE` elements the gain is within noise, so smaller programs stay unfused.

numexpr, the usual choice, is not used: on one thread it runs such chains at 1.05-1.2x numpy's
unfused time (1.7x with transcendental functions, which numpy 2 vectorises and numexpr does not)
on the machines this was measured on; ``bench_fusion.py`` times it when it is installed.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from dezero_core.backend.elementwise import ElementwiseProgram

#: bytes of one block of one buffer: a chain's few live buffers stay within a core's L2 cache
BLOCK_BYTES = 256 * 1024
#: programs with fewer output elements than this stay unfused (no measurable gain below it)
MIN_SIZE = 1 << 18

_UFUNCS = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "maximum": np.maximum, "minimum": np.minimum, "pow": np.power, "negative": np.negative,
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sqrt": np.sqrt,
    "abs": np.abs, "square": np.square,
}

# where a step's operand or result lives in one block: an input, a constant, a scratch buffer, an output
_INPUT, _CONST, _SCRATCH, _OUTPUT = range(4)


def fuse(program: ElementwiseProgram) -> Any:
    """A :class:`BlockedKernel` for ``program``, or None where fusing it would not pay (fewer than
    :data:`MIN_SIZE` elements) or its inputs do not allow blocks (a broadcast that is not a scalar)."""
    if program.size < MIN_SIZE:
        return None
    if any(tuple(shape) != tuple(program.shape) and math.prod(shape) != 1 for shape in program.input_shapes):
        return None
    return BlockedKernel(program)


class BlockedKernel:
    """``kernel(*inputs, out=None)``: the program's outputs, computed block by block."""

    def __init__(self, program: ElementwiseProgram) -> None:
        self.program = program
        self.dtype = np.dtype(program.dtype)
        self.block = max(1, BLOCK_BYTES // self.dtype.itemsize)
        self.scalar_inputs = [math.prod(shape) == 1 and tuple(shape) != tuple(program.shape)
                              for shape in program.input_shapes]
        self.steps, self.n_scratch = self._plan(program)

    def _plan(self, program: ElementwiseProgram) -> tuple[list[tuple[Any, tuple, tuple]], int]:
        """Each step as (ufunc, operand places, result place); scratch buffers reused once dead."""
        place: dict[str, tuple[int, Any]] = {name: (_INPUT, i) for i, name in enumerate(program.inputs)}
        outputs = {name: j for j, name in enumerate(program.outputs)}
        last_use = program.last_uses()
        free: list[int] = []
        n_scratch = 0
        steps = []
        for index, step in enumerate(program.steps):
            args = tuple(place[a] if isinstance(a, str) else (_CONST, np.asarray(a, self.dtype)) for a in step.args)
            for arg in step.args:  # a value read for the last time frees its buffer for this result
                if isinstance(arg, str) and last_use[arg] == index and place[arg][0] == _SCRATCH \
                        and place[arg][1] not in free:
                    free.append(place[arg][1])
            if step.result in outputs:
                place[step.result] = (_OUTPUT, outputs[step.result])
            elif free:
                place[step.result] = (_SCRATCH, free.pop())
            else:
                place[step.result] = (_SCRATCH, n_scratch)
                n_scratch += 1
            steps.append((_UFUNCS[step.op], args, place[step.result]))
        self.output_places = [place[name] for name in program.outputs]
        return steps, n_scratch

    def __call__(self, *inputs: Any, out: Sequence[Any] | None = None) -> tuple[Any, ...]:
        program = self.program
        flat = [np.asarray(x, self.dtype).reshape(()) if scalar else np.ascontiguousarray(x, self.dtype).reshape(-1)
                for x, scalar in zip(inputs, self.scalar_inputs)]
        results = list(out) if out is not None else [np.empty(program.shape, self.dtype) for _ in program.outputs]
        flat_out = [r.reshape(-1) for r in results]  # a view where r is contiguous, as ours are
        if any(not np.shares_memory(f, r) for f, r in zip(flat_out, results) if r.size):
            raise ValueError("fused elementwise kernel: out= arrays must be C-contiguous")
        scratch = [np.empty(self.block, self.dtype) for _ in range(self.n_scratch)]
        size, block = program.size, self.block
        for start in range(0, size, block):
            stop = min(start + block, size)
            n = stop - start
            views = (
                [x if x.ndim == 0 else x[start:stop] for x in flat],  # _INPUT
                None,  # _CONST: the array itself
                [s[:n] for s in scratch] if n < block else scratch,  # _SCRATCH
                [o[start:stop] for o in flat_out],  # _OUTPUT
            )
            for ufunc, args, (kind, where) in self.steps:
                ufunc(*[a if k == _CONST else views[k][a] for k, a in args], out=views[kind][where])
        for j, (kind, where) in enumerate(self.output_places):
            if kind == _INPUT:  # an input passed through as an output
                np.copyto(results[j], np.broadcast_to(inputs[where], program.shape))
        return tuple(results)
