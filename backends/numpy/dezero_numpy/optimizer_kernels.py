"""Optimizer updates with numpy's output arguments: the arithmetic of the portable ones, fewer passes.

The portable Adam is written against the array API, which has no ``out=``: ``g * g``, ``sqrt(v)``
and ``m / d`` each allocate an array the size of the parameter. Here one temporary serves all three,
which saves an eighth of the update's time on an MLP's weights (measured by
``benchmarks/bench_mlp.py``); the operations and their order are the portable ones, so the results
are the same to the bit.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def adam(data: Any, grad: Any, m: Any, v: Any, beta1: float, beta2: float, step_size: float,
         eps: float) -> None:
    """``m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; data -= step_size · m / (√v + eps)``, in place."""
    scratch = np.empty_like(data)  # an array even for a 0-d parameter (numpy returns scalars there)
    np.multiply(grad, 1.0 - beta1, out=scratch)
    m *= beta1
    m += scratch
    np.multiply(grad, grad, out=scratch)
    scratch *= 1.0 - beta2  # v = b2 v + (1-b2) g²: a sum, so nothing cancels where v << g²
    v *= beta2
    v += scratch
    np.sqrt(v, out=scratch)
    scratch += eps
    np.divide(m, scratch, out=scratch)
    scratch *= step_size
    data -= scratch


KERNELS = {"adam": adam}
