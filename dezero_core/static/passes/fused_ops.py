"""The Functions the fusion passes put in place of several nodes, and the ``out=`` protocol.

Each is an ordinary :class:`~dezero_core.Function`, so the executor, saving and printing treat a
fused node like any other. Their forwards compute exactly the unfused steps, in the same order (the
same rounding); the backwards of :class:`MulAdd` and :class:`Affine` compute what the unfused
backward nodes computed, which the tests check against the unfused graph. :class:`FusedElementwise`
has none: backward arithmetic it fuses is part of its steps.

``forward(..., out=array)`` writes the result into ``out`` where the backend's functions take
output arguments (:func:`takes_out`) and returns it; elsewhere ``out`` is ignored and a fresh array
returned: a memory plan is then a hint, never a wrong result.
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend.elementwise import ElementwiseProgram, Step
from dezero_core.functions.affine import Linear
from dezero_core.functions.elementwise import select
from dezero_core.graph.function import Function
from dezero_core.static.passes.product_chains import chain_lines, find_chains, multiplies_row_by_row

_takes_out: dict[int, bool] = {}


def takes_out(xp: Any) -> bool:
    """Whether the namespace ``xp`` (an ``ArrayOps``) has numpy-style ``out=`` arguments on its
    elementwise functions and ``matmul``. The array API has none; numpy and cupy have them.
    Probed once per backend with one-element arrays."""
    key = id(xp)
    if key not in _takes_out:
        try:
            one = xp.ones((1, 1))
            target = xp.empty((1, 1))
            xp.multiply(one, one, out=target)
            xp.matmul(one, one, out=target)
            _takes_out[key] = bool(target[0, 0] == 1)
        except (TypeError, AttributeError, NotImplementedError, ValueError):
            _takes_out[key] = False
    return _takes_out[key]


class OutForward(Function):
    """A Function whose forward takes ``out=``: the marker the memory planner looks for."""

    #: the output may be written over the first input (an elementwise op reading it once per element)
    inplace_safe: bool = False


class MulAdd(OutForward):
    """``a * b + c``: the product, then ``c`` added to it in place (one array instead of two)."""

    inplace_safe = True

    def forward(self, xp, a, b, c, out=None):
        if out is not None and takes_out(xp):
            y = xp.multiply(a, b, out=out)
        else:
            y = a * b
        y += c
        return y

    def backward(self, xp, xs, y, gy):
        a, b, c = xs
        ga = xp.sum_to(gy * b, a.shape) if self.needs_grad[0] else None
        gb = xp.sum_to(gy * a, b.shape) if self.needs_grad[1] else None
        gc = xp.sum_to(gy, c.shape) if self.needs_grad[2] else None
        return ga, gb, gc


class Affine(OutForward, Linear):
    """``activation(x @ W + b)`` (``activation``: None or ``"relu"``): the product written into
    ``out``, the bias added and ReLU applied in place. Linear's backward after ReLU's."""

    def __init__(self, activation: str | None = None) -> None:
        if activation not in (None, "relu"):
            raise ValueError(f"Affine: activation must be None or 'relu', not {activation!r}")
        self.activation = activation

    def forward(self, xp, x, W, b=None, out=None):
        inplace = out is not None and takes_out(xp)
        y = xp.matmul(x, W, out=out) if inplace else xp.matmul(x, W)
        if b is not None:
            y += b
        if self.activation == "relu":
            y = xp.maximum(y, 0, out=y) if inplace or takes_out(xp) else xp.maximum(y, 0)
        return y

    def backward(self, xp, xs, y, gy):
        if self.activation == "relu":
            gy = select(xp, y > 0, gy)
        return Linear.backward(self, xp, xs, y, gy)


class FusedElementwise(OutForward):
    """Elementwise steps (an :class:`ElementwiseProgram` without shapes) as one node.

    ``steps`` are ``(result, op, args)`` triples and ``outputs`` the names the node returns (one
    array, or a tuple for several): plain data, so that a saved graph holds them. At the first call
    for a backend and input shapes, the backend's ``fuse_elementwise`` gets the program; where it
    declines, the steps run one by one, as the unfused nodes did. The steps may include backward
    nodes' arithmetic (see :func:`dezero_core.static.passes.fusion.fuse_elementwise`); the fused
    node itself has no backward: gradients are nodes of the graph, not derived through it.
    """

    inplace_safe = True

    def __init__(self, inputs: tuple[str, ...], steps: tuple[tuple[str, str, tuple], ...],
                 outputs: tuple[str, ...], dtype: str) -> None:
        self.inputs_names = inputs
        self.steps = steps
        self.outputs_names = outputs
        self.dtype = dtype

    def program(self, shapes: tuple[tuple[int, ...], ...], shape: tuple[int, ...]) -> ElementwiseProgram:
        """The program for inputs of ``shapes`` and outputs of ``shape``."""
        steps = tuple(Step(result, op, tuple(args)) for result, op, args in self.steps)
        return ElementwiseProgram(tuple(self.inputs_names), shapes, steps, tuple(self.outputs_names), shape,
                                  self.dtype)

    def kernel_for(self, xp: Any, shapes: tuple[tuple[int, ...], ...]) -> Any:
        """``kernel(*xs, out=None)`` for inputs of ``shapes``: a tuple of the outputs (written into
        the arrays of the sequence ``out`` where given). Made at the first call for a backend and
        shapes, and kept: an executor that knows the shapes binds it once and calls it directly."""
        kernels = self.__dict__.setdefault("_kernels", {})  # per process: never saved or copied
        key = (id(xp), shapes)
        kernel = kernels.get(key)
        if kernel is None:
            program = self.program(shapes, _broadcast_shape(shapes))
            kernel = kernels[key] = xp.backend.fuse_elementwise(program) or _unfused(xp, program)
        return kernel

    def forward(self, xp, *xs, out=None):
        kernel = self.kernel_for(xp, tuple(tuple(x.shape) for x in xs))
        ys = kernel(*xs, out=None if out is None or not takes_out(xp) else (out,))
        return ys[0] if len(ys) == 1 else ys

    def backward(self, xp, xs, y, gy):
        raise NotImplementedError("FusedElementwise has no backward: the fusion pass fuses a forward node "
                                  "only beside its backward node's own arithmetic, never through it")

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_kernels"}


def _broadcast_shape(shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + s for s in shapes]
    return tuple(max(dims) for dims in zip(*padded))


def _unfused(xp: Any, program: ElementwiseProgram) -> Any:
    """The steps one by one with ``xp`` (what the nodes did), as one generated Python function.

    Each step is one line calling the namespace's function, constants made arrays of the dtype once:
    on small arrays, where each call costs more than its arithmetic, no interpretation per step is
    added to the calls the unfused nodes made; a long chain of multiplications (a chain's backward)
    is one cumulative product (:mod:`~dezero_core.static.passes.product_chains`). The source holds
    only names made here (``a0``, ``t3``, ``f3``, ``c3_1``), never a string from the program: a
    loaded graph cannot inject code.
    """
    dtype = getattr(xp, program.dtype)
    local = {name: f"a{i}" for i, name in enumerate(program.inputs)}
    namespace: dict[str, Any] = {}
    lines = []
    found = find_chains(program, lambda name: hasattr(xp, name)) if multiplies_row_by_row(xp, program.dtype) else []
    chains = {chain.links[0]: chain for chain in found}
    skipped = {i for chain in chains.values() for i in [*chain.links, *chain.hoisted]}
    for j, step in enumerate(program.steps):
        if j in chains:  # a product chain: computed whole where its first multiplication was
            chain = chains[j]
            lines += [f"    {line}" for line in chain_lines(chain, j, local, namespace, xp, program)]
            local[program.steps[chain.links[-1]].result] = f"t{chain.links[-1]}"
        if j in skipped:
            continue
        namespace[f"f{j}"] = getattr(xp, step.op)
        args = []
        for k, arg in enumerate(step.args):
            if isinstance(arg, str):
                args.append(local[arg])
            else:
                namespace[f"c{j}_{k}"] = xp.asarray(arg, dtype=dtype)
                args.append(f"c{j}_{k}")
        local[step.result] = f"t{j}"
        lines.append(f"    t{j} = f{j}({', '.join(args)})")
    params = ", ".join([*(f"a{i}" for i in range(len(program.inputs))), "out=None"])
    results = "".join(f"{local[name]}, " for name in program.outputs)
    source = f"def run({params}):\n" + "\n".join(lines) + f"\n    return ({results})\n"
    exec(compile(source, "<fused elementwise steps>", "exec"), namespace)  # noqa: S102  (see docstring)
    return namespace["run"]
