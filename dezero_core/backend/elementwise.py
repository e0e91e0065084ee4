"""A chain of elementwise operations, described for a backend to fuse into one kernel.

The static graph's fusion pass (:mod:`dezero_core.static.passes.fusion`) hands such a program to
:meth:`dezero_core.backend.ArrayBackend.fuse_elementwise`; a backend answers with one callable that
computes all of it (numpy: cache-sized blocks, cupy: one generated ``ElementwiseKernel``) or None,
and the graph keeps the unfused nodes. :meth:`ElementwiseProgram.evaluate` runs the program one
array-API call per step: the reference every fused kernel is tested against.

A program is plain data (names, operation names from the array API, Python numbers), so a backend
needs nothing of the graph to compile it, and a test can write one by hand::

    ElementwiseProgram(inputs=("x", "b"), input_shapes=((4, 3), (3,)), dtype="float32", shape=(4, 3),
                       steps=(Step("t0", "multiply", ("x", 2.0)), Step("t1", "add", ("t0", "b"))),
                       outputs=("t1",))
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

#: operations of one operand, by their array-API names
UNARY = frozenset({"negative", "exp", "log", "sin", "cos", "tanh", "sqrt", "abs", "square"})
#: operations of two operands (arrays or Python numbers), by their array-API names
BINARY = frozenset({"add", "subtract", "multiply", "divide", "maximum", "minimum", "pow"})
#: the dtypes a program may compute in
DTYPES = frozenset({"float16", "float32", "float64"})

Operand = str | int | float  # a name (an input or an earlier step's result) or a Python number


@dataclass(frozen=True)
class Step:
    """``result = op(*args)``: one elementwise operation of a program."""

    result: str
    op: str
    args: tuple[Operand, ...]


@dataclass(frozen=True)
class ElementwiseProgram:
    """Elementwise steps over ``inputs`` (arrays that broadcast to ``shape``), all in ``dtype``.

    ``outputs`` names the results the caller reads (inputs or step results), each of ``shape``.
    Python numbers among a step's arguments are constants of ``dtype`` (they never promote it).
    """

    inputs: tuple[str, ...]
    input_shapes: tuple[tuple[int, ...], ...]
    steps: tuple[Step, ...]
    outputs: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: str

    def __post_init__(self) -> None:
        if len(self.inputs) != len(self.input_shapes):
            raise ValueError(f"{len(self.inputs)} inputs but {len(self.input_shapes)} input shapes")
        if self.dtype not in DTYPES:
            raise ValueError(f"an elementwise program computes in one of {sorted(DTYPES)}, not {self.dtype!r}")
        defined = set(self.inputs)
        for step in self.steps:
            arity = 1 if step.op in UNARY else 2 if step.op in BINARY else None
            if arity is None:
                raise ValueError(f"step {step.result!r}: unknown operation {step.op!r}; "
                                 f"known: {sorted(UNARY | BINARY)}")
            if len(step.args) != arity:
                raise ValueError(f"step {step.result!r}: {step.op} takes {arity} operands, got {len(step.args)}")
            for arg in step.args:
                if isinstance(arg, str) and arg not in defined:
                    raise ValueError(f"step {step.result!r} reads {arg!r} before it is defined")
            if step.result in defined:
                raise ValueError(f"step {step.result!r} redefines a name (a program is single-assignment)")
            defined.add(step.result)
        missing = [name for name in self.outputs if name not in defined]
        if missing:
            raise ValueError(f"outputs {missing} are neither inputs nor results of a step")

    @property
    def size(self) -> int:
        """The number of elements of each output."""
        return math.prod(self.shape)

    def last_uses(self) -> dict[str, int]:
        """For each name a step reads: the index of the last step that reads it."""
        last: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            for arg in step.args:
                if isinstance(arg, str):
                    last[arg] = index
        return last

    def evaluate(self, xp: Any, *arrays: Any) -> tuple[Any, ...]:
        """The outputs computed step by step with the array-API namespace ``xp`` (unfused)."""
        dtype = getattr(xp, self.dtype)
        values: dict[str, Any] = dict(zip(self.inputs, arrays))

        def operand(arg: Operand) -> Any:
            return values[arg] if isinstance(arg, str) else xp.asarray(arg, dtype=dtype)

        for step in self.steps:
            values[step.result] = getattr(xp, step.op)(*map(operand, step.args))
        return tuple(xp.broadcast_to(values[name], self.shape) if name in self.inputs else values[name]
                     for name in self.outputs)


FusedKernel = Callable[..., tuple[Any, ...]]
"""What a backend's ``fuse_elementwise`` returns: ``kernel(*input_arrays, out=None)`` -> the outputs
(a tuple, one array per program output); ``out``, when given, is a sequence of arrays to write them to."""

