"""Fused elementwise chains on the GPU: one generated ``cupy.ElementwiseKernel`` per chain.

The source comes from :mod:`dezero_cupy.fusion_source`; cupy compiles it at its first launch for
each dtype. One launch replaces one per step and the intermediates never reach global memory, so
there is no size below which the unfused steps win (each of them is a launch too).

Importing this module imports cupy: the backend imports it only after cupy was found usable.
"""
from __future__ import annotations

from typing import Any, Sequence

import cupy

from dezero_core.backend.elementwise import ElementwiseProgram
from dezero_cupy import fusion_source


def fuse(program: ElementwiseProgram) -> Any:
    """``kernel(*inputs, out=None)`` computing ``program`` in one launch; None where
    :func:`~dezero_cupy.fusion_source.kernel_source` serves no kernel (float16)."""
    source = fusion_source.kernel_source(program)
    if source is None:
        return None
    kernel = cupy.ElementwiseKernel(*source, options=fusion_source.OPTIONS)

    def run(*inputs: Any, out: Sequence[Any] | None = None) -> tuple[Any, ...]:
        with inputs[0].device:  # launch where the data lives, not on the current device
            results = kernel(*inputs, *(out or ()))
        return results if isinstance(results, tuple) else (results,)

    return run
