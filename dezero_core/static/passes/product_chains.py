"""Product chains of an elementwise program, computed as one cumulative product.

The backward of a chain of elementwise functions is a chain of multiplications: the gradient times
each function's local derivative in turn (``g * cos(x_k)`` for a sine, ``g * c`` for a product by
a constant). The derivatives depend only on the forward's values, never on the gradient, so where
the arrays are small (each call costing far more than its arithmetic) the whole chain is

    factors = the start, then every derivative: one array of shape (n + 1, *shape)
    result  = cumulative_prod(factors, axis=0)[n]

a handful of calls instead of ``n`` multiplications and ``n`` derivative calls: the derivatives of
one operation are one call on their inputs concatenated. The products are the chain's, in its
order, where ``cumulative_prod`` multiplies row by row in the dtype (:func:`multiplies_row_by_row`
probes it; elsewhere the multiplications stay), and an elementwise operation gives each element
what it gives it alone, so the result is the chain's.

:func:`find_chains` finds them in a program's steps; :func:`chain_lines` writes one as lines of the
generated function of :func:`dezero_core.static.passes.fused_ops._unfused`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from dezero_core.backend.elementwise import UNARY, ElementwiseProgram

#: fewer multiplications than this stay as they are (the chain costs ~6 calls of its own)
MIN_LINKS = 8
#: the factors array may hold at most this many elements (the chain is for small arrays)
MAX_ELEMENTS = 1 << 16


@dataclass
class Chain:
    """``steps[links[-1]] = start * factor_1 * ... * factor_n`` (in that order).

    Each factor is a constant (a Python number), an input's name, or ``(op, input name)``: a unary
    step on an input whose result only this chain reads (it is computed inside the chain)."""

    start: str
    links: list[int] = field(default_factory=list)
    factors: list[Any] = field(default_factory=list)
    hoisted: list[int] = field(default_factory=list)  # the unary steps computed inside the chain


_row_by_row: dict[tuple[int, str], bool] = {}


def multiplies_row_by_row(xp: Any, dtype: str) -> bool:
    """Whether ``xp.cumulative_prod`` over axis 0 equals multiplying the rows one after the other in
    ``dtype``, to the bit (probed once per namespace and dtype). numpy's does; PyTorch's float32
    cumprod accumulates in float64 and rounds once, which a chain of multiplications does not."""
    key = (id(xp), dtype)
    if key not in _row_by_row:
        try:
            rows = xp.asarray([[1.0 + ((i * 7 + j * 13) % 17) / 37.0 for j in range(4)] for i in range(48)],
                              dtype=getattr(xp, dtype))
            running, exact = rows[0, ...], True
            products = xp.cumulative_prod(rows, axis=0)
            for i in range(1, 48):
                running = xp.multiply(running, rows[i, ...])
                exact = exact and bool(xp.all(products[i, ...] == running))
            _row_by_row[key] = exact
        except (AttributeError, TypeError, NotImplementedError, ValueError):
            _row_by_row[key] = False
    return _row_by_row[key]


def find_chains(program: ElementwiseProgram, has: Callable[[str], bool]) -> list[Chain]:
    """The product chains of ``program`` worth computing as one cumulative product; ``has(name)``
    says whether the namespace has a function (``cumulative_prod``, ``take``, ``concat``)."""
    shape = tuple(program.shape)
    n_elements = math.prod(shape)
    if not shape or not all(has(f) for f in ("cumulative_prod", "take", "concat", "reshape")):
        return []
    full_inputs = {name for name, s in zip(program.inputs, program.input_shapes) if tuple(s) == shape}
    steps = program.steps
    index = {step.result: i for i, step in enumerate(steps)}
    uses: dict[str, int] = {name: 1 for name in program.outputs}  # an output is a use
    for step in steps:
        for arg in step.args:
            if isinstance(arg, str):
                uses[arg] = uses.get(arg, 0) + 1

    def factor(arg: Any) -> tuple[Any, int | None] | None:
        """``arg`` as a chain factor (and the step it hoists), or None where it cannot be one."""
        if not isinstance(arg, str):
            return arg, None
        if arg in full_inputs:
            return arg, None
        i = index.get(arg)
        if i is not None and uses.get(arg) == 1:
            step = steps[i]
            if step.op in UNARY and len(step.args) == 1 and step.args[0] in full_inputs:
                return (step.op, step.args[0]), i
        return None

    def link(i: int, running: str) -> tuple[Any, int | None] | None:
        """Step ``i`` as ``running * factor``: the factor, or None."""
        step = steps[i]
        if step.op != "multiply" or running not in step.args:
            return None
        a, b = step.args
        other = b if a == running else a
        return factor(other) if other != running else None

    chains: list[Chain] = []
    taken: set[int] = set()
    for i, step in enumerate(steps):
        if i in taken or step.op != "multiply":
            continue
        # the start is either operand: the other must be a factor, preferably a derivative computed
        # with its group
        options = [(found, start) for start in step.args if isinstance(start, str)
                   for found in [link(i, start)] if found is not None]
        if not options:
            continue
        first, start = max(options, key=lambda option: option[0][1] is not None)
        chain = Chain(start)
        _add(chain, i, first)
        while True:  # follow the running value to its one reader
            result = steps[chain.links[-1]].result
            if uses.get(result) != 1 or result in program.outputs:
                break
            nxt = next((j for j in range(chain.links[-1] + 1, len(steps)) if result in steps[j].args), None)
            found = link(nxt, result) if nxt is not None and nxt not in taken else None
            if found is None:
                break
            _add(chain, nxt, found)
        if len(chain.links) >= MIN_LINKS and (len(chain.links) + 1) * n_elements <= MAX_ELEMENTS:
            chains.append(chain)
            taken.update(chain.links)
    return chains


def _add(chain: Chain, i: int, found: tuple[Any, int | None]) -> None:
    chain.links.append(i)
    chain.factors.append(found[0])
    if found[1] is not None:
        chain.hoisted.append(found[1])


def chain_lines(chain: Chain, k: int, local: dict[str, str], namespace: dict[str, Any], xp: Any,
                program: ElementwiseProgram) -> list[str]:
    """The lines computing ``chain`` (the ``k``-th) into ``t<i>``, ``i`` its last link's step.

    Rows of one array: the start, then each group of factors of one operation (its inputs
    concatenated, the operation applied once; an input itself is the group of no operation), then
    the distinct constants; a ``take`` puts them in the chain's order, and the last row of their
    cumulative product is the result. ``local`` maps program names to the generated function's
    locals; what the lines read besides is put into ``namespace``."""
    shape = tuple(program.shape)
    groups: dict[str | None, list[str]] = {}  # op (None: the input itself) -> the inputs of its rows
    constants: list[Any] = []
    members = []  # per factor: (op, position in its group), or (constant,)
    for f in chain.factors:
        if isinstance(f, (str, tuple)):
            op, name = (None, f) if isinstance(f, str) else f
            members.append((op, len(groups.setdefault(op, []))))
            groups[op].append(name)
        else:
            members.append((f,))
            if f not in constants:
                constants.append(f)
    namespace.update(concat=xp.concat, reshape=xp.reshape, take=xp.take, cumulative_prod=xp.cumulative_prod)
    namespace[f"shape{k}"] = (1, *shape)
    blocks = [f"reshape({local[chain.start]}, shape{k})"]
    base: dict[str | None, int] = {}
    rows = 1
    for g, (op, names) in enumerate(groups.items()):
        namespace[f"shape{k}_{g}"] = (len(names), *shape)
        block = f"reshape(concat([{', '.join(local[n] for n in names)}]), shape{k}_{g})"
        if op is not None:
            namespace[f"op{k}_{g}"] = getattr(xp, op)
            block = f"op{k}_{g}({block})"
        blocks.append(block)
        base[op] = rows
        rows += len(names)
    if constants:
        dtype = getattr(xp, program.dtype)
        namespace[f"const{k}"] = xp.stack([xp.full(shape, c, dtype=dtype) for c in constants])
        blocks.append(f"const{k}")
    order = [0] + [base[m[0]] + m[1] if len(m) == 2 else rows + constants.index(m[0]) for m in members]
    namespace[f"order{k}"] = xp.asarray(order)
    return [f"b{k} = take(concat([{', '.join(blocks)}]), order{k}, axis=0)",
            f"t{chain.links[-1]} = cumulative_prod(b{k}, axis=0)[{len(order) - 1}, ...]"]
