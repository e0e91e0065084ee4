"""Running a Function from inside another Function's backward, on arrays or on Variables."""
from __future__ import annotations

from typing import Any

from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable


def forward_or_record(fn: Function, xp: Any, *args: Any) -> Any:
    """``fn`` applied to ``args``: straight through ``fn.forward`` on arrays (the fast path of a
    backward), or called as a Function on Variables, so that ``backward(create_graph=True)``
    records it and its own backward gives the next derivative.

    A backward whose gradient is itself a convolution or a pooling (an operation the array API
    has no name for) uses this instead of an ``xp`` name.
    """
    if any(isinstance(a, Variable) for a in args):
        return fn(*args)
    return fn.forward(xp, *args)
