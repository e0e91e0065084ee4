"""Optimizer updates with numpy's output arguments: the arithmetic of the portable ones, fewer passes.

The portable Adam is written against the array API, which has no ``out=``: ``g * g``, ``sqrt(v)``
and ``m / d`` each allocate an array the size of the parameter. Here one scratch array serves all
three; the operations and their order are the portable ones, so the results are the same to the bit.

A large parameter is updated by flat blocks of :data:`BLOCK_ELEMENTS`: the dozen operations run on
one block while it is in the CPU's cache, instead of each streaming the whole parameter, its
gradient and both moments through main memory. One scratch block serves every block, and the
constants are 0-d arrays of the parameter's dtype (a Python float is converted again by every
ufunc call: about a third of a call's cost at this block size). On the 1.8M float32 weights of an
MLP 784-1000-1000-10, an Adam ``update()`` takes 0.89-0.97x the time of this module's previous
kernel called on each of the optimizer's row blocks, about 0.85x the unblocked update
(``benchmarks/bench_static.py --only mlp1000`` times the three ways). ``adamw`` decays each block
before its update: 0.93-0.97x the time of the previous kernel on AdamW's row blocks, each decayed
first.
"""
from __future__ import annotations

from typing import Any

import numpy as np

#: elements per block: 256 KiB of float32 per array. 32K-128K measure alike; 16K loses to the calls
BLOCK_ELEMENTS = 65536


def adam(data: Any, grad: Any, m: Any, v: Any, beta1: float, beta2: float, step_size: float,
         eps: float) -> None:
    """``m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; data -= step_size · m / (√v + eps)``, in place."""
    _blocked(data, grad, m, v, (1.0 - beta1, beta1, 1.0 - beta2, beta2, eps, step_size))


def adamw(data: Any, grad: Any, m: Any, v: Any, beta1: float, beta2: float, step_size: float, eps: float,
          decay: float) -> None:
    """AdamW: ``data *= decay`` (the decoupled weight decay, ``1 - lr · weight_decay``), then :func:`adam`,
    block by block: the decay reads the block the update reads next, in cache."""
    _blocked(data, grad, m, v, (1.0 - beta1, beta1, 1.0 - beta2, beta2, eps, step_size, decay))


def _blocked(data: Any, grad: Any, m: Any, v: Any, numbers: tuple[float, ...]) -> None:
    """:func:`_adam` over ``data`` whole, or by flat blocks of a large C-contiguous one."""
    dtype = data.dtype
    if dtype.kind == "f" and getattr(grad, "dtype", None) == dtype and m.dtype == v.dtype == dtype:
        # as a ufunc converts a Python float for this dtype, so the arithmetic is the same
        numbers = tuple([np.asarray(x, dtype=dtype) for x in numbers])
    n = data.size
    if n >= 2 * BLOCK_ELEMENTS and _contiguous(data, m, v):
        flat = data.reshape(-1), np.ascontiguousarray(grad).reshape(-1), m.reshape(-1), v.reshape(-1)
        scratch = np.empty(BLOCK_ELEMENTS, dtype=dtype)
        for start in range(0, n, BLOCK_ELEMENTS):
            end = start + BLOCK_ELEMENTS
            block = scratch if end <= n else scratch[:n - start]
            _adam(flat[0][start:end], flat[1][start:end], flat[2][start:end], flat[3][start:end], block,
                  numbers)
    else:
        # an array even for a 0-d parameter (numpy returns scalars there)
        _adam(data, grad, m, v, np.empty_like(data), numbers)


def _contiguous(*arrays: Any) -> bool:
    """Whether each array is C-contiguous, so that its flat view is a view (the update lands in it)."""
    return all(a.flags.c_contiguous for a in arrays)


def _adam(data: Any, grad: Any, m: Any, v: Any, scratch: Any, numbers: tuple) -> None:
    """Adam's dozen operations on arrays of one shape, ``scratch`` holding each temporary in turn;
    ``numbers``: 1-b1, b1, 1-b2, b2, eps, the step size and, for AdamW, the decay of ``data`` first."""
    multiply = np.multiply
    if len(numbers) == 7:
        multiply(data, numbers[6], out=data)
    one_minus_b1, beta1, one_minus_b2, beta2, eps, step_size = numbers[:6]
    multiply(grad, one_minus_b1, out=scratch)
    multiply(m, beta1, out=m)
    np.add(m, scratch, out=m)
    multiply(grad, grad, out=scratch)
    multiply(scratch, one_minus_b2, out=scratch)  # v = b2 v + (1-b2) g²: a sum, nothing cancels where v << g²
    multiply(v, beta2, out=v)
    np.add(v, scratch, out=v)
    np.sqrt(v, out=scratch)
    np.add(scratch, eps, out=scratch)
    np.divide(m, scratch, out=scratch)
    multiply(scratch, step_size, out=scratch)
    np.subtract(data, scratch, out=data)


KERNELS = {"adam": adam, "adamw": adamw}
