"""Define-and-Run: static graphs defined once (symbolically or by tracing), optimised, replayed.

- :func:`symbol`, :func:`constant`, :func:`grad`: define a graph from placeholders; every
  registered function, layer, model and loss accepts symbols.
- :func:`compile`: compile symbols, or trace a Python function (forward, ``loss.backward()``,
  ``optimizer.update()``) into a graph replayed on later calls.
- :func:`trace`: the IR :class:`~dezero_core.static.ir.Graph` of a model on example inputs (export).
- :func:`load_compiled`: a compiled function saved with ``f.save(path)``.

The IR is :mod:`dezero_core.static.ir`; passes are :mod:`dezero_core.static.passes`.
"""
from dezero_core.static.symbolic import Symbol, SymbolValueError, constant, symbol
from dezero_core.static.autodiff import grad
from dezero_core.static.tracing import (
    CompiledFunction,
    GraphBreakError,
    GraphBreakWarning,
    RetraceWarning,
    TracedStateWarning,
    compile,
    trace,
)
from dezero_core.static.ir import Graph, Node, Value
from dezero_core.static.control import cond, while_loop


def __getattr__(name: str) -> object:
    if name == "load_compiled":
        from dezero_core.static.save import load_compiled

        return load_compiled
    raise AttributeError(f"module 'dezero_core.static' has no attribute {name!r}")


__all__ = ["CompiledFunction", "Graph", "GraphBreakError", "GraphBreakWarning", "Node", "RetraceWarning", "TracedStateWarning",
           "Symbol", "SymbolValueError", "Value", "compile", "cond", "constant", "grad", "load_compiled",
           "symbol", "trace", "while_loop"]
