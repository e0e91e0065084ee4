"""State a layer carries from one call to the next (an RNN's hidden state), in a compiled function.

A recurrent layer keeps its state in attributes (``LSTM.h``, ``LSTM.c``): each call reads what the
previous one left and sets the new state. A replay runs no Python, so the compiled function carries
it: the graph reads the attribute at the start of every run (a ``state`` leaf whose source is a
:class:`~dezero_core.static.symbolic.LayerState`), the new state is one more output of the graph,
and the compiled function sets it on the layer after the run. Whether the attribute holds None or an
array (of which type, shape, dtype) is part of the guard key, since the layer's Python takes another
path on the first call of a sequence: that call and the later ones are two graphs, each traced once.

The state set after a compiled call is cut from the graph, as after ``unchain_backward()``: no
gradient flows into it, so a later call's backward stops there (truncated backpropagation through
time, which is what eager code that unchains its state computes).
"""
from __future__ import annotations

import warnings
from typing import Any, Iterator

from dezero_core.graph.variable import Parameter, Variable
from dezero_core.static.ir import Value
from dezero_core.static.symbolic import LayerState, Symbol

#: (layer, attribute name)
Slot = tuple[Any, str]


def _attributes(layers: list[Any]) -> Iterator[tuple[Any, str, Any]]:
    """``(layer, name, value)`` for every attribute of ``layers`` and the layers they hold."""
    from dezero_core.layers.layer import Layer

    seen: set[int] = set()
    stack = list(layers)
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        for attr, value in list(vars(layer).items()):
            yield layer, attr, value
            if isinstance(value, Layer):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, Layer))


def snapshot(layers: list[Any]) -> dict[tuple[int, str], Any]:
    """The attributes of ``layers`` that may be state, before a trace: those holding None or a
    Variable that is not a Parameter, by ``(id(layer), name)``."""
    return {(id(layer), attr): value for layer, attr, value in _attributes(layers)
            if value is None or (isinstance(value, Variable) and not isinstance(value, Parameter))}


def carry(layers: list[Any], before: dict[tuple[int, str], Any], leaf_values: dict[int, Value],
          outputs: list[Value]) -> list[tuple[Any, str, int]]:
    """After a trace: each attribute of ``layers`` left holding a symbol becomes carried state.

    The value it held before (``before``), if the trace read it, is read from the attribute at every
    run; the symbol's value is appended to ``outputs``; the attribute gets its value from before
    back (no symbol outlives its trace). Returns ``(layer, name, output index)`` per attribute. An
    attribute the snapshot did not see (a layer reached only through the optimizer) is cleared
    with a :class:`~dezero_core.static.tracing.TracedStateWarning`."""
    from dezero_core.static.tracing import TracedStateWarning

    slots = []
    for layer, attr, value in list(_attributes(layers)):
        if not isinstance(value, Symbol):
            continue
        key = (id(layer), attr)
        if key not in before:
            object.__setattr__(layer, attr, None)
            warnings.warn(f"{type(layer).__name__}.{attr} was set to a value of the traced call, but the layer was "
                          f"not found before the call (only through an optimizer), so the state is not carried: "
                          f"it is cleared (None) after each compiled call. Pass the layer (or a function that "
                          f"uses it) to dz.compile", TracedStateWarning, stacklevel=6)
            continue
        old = before[key]
        leaf = leaf_values.get(id(old)) if old is not None else None
        if leaf is not None:
            leaf.source = LayerState(layer, attr)
        slots.append((layer, attr, len(outputs)))
        outputs.append(value.data.value)
        object.__setattr__(layer, attr, old)
    return slots


def clear(layers: list[Any]) -> None:
    """Set the attributes of ``layers`` left holding symbols to None (a traced graph for export,
    which carries no state), with a warning."""
    from dezero_core.static.tracing import TracedStateWarning

    for layer, attr, value in list(_attributes(layers)):
        if isinstance(value, Symbol):
            object.__setattr__(layer, attr, None)
            warnings.warn(f"{type(layer).__name__}.{attr} was set to a value of the traced call: an exported "
                          f"graph carries no layer state, so it is cleared (None). Pass such state in as an "
                          f"argument and return it instead.", TracedStateWarning, stacklevel=5)


def restore(before: dict[tuple[int, str], Any], layers: list[Any]) -> None:
    """After a broken trace: attributes left holding symbols get their value from before back."""
    for layer, attr, value in list(_attributes(layers)):
        if isinstance(value, Symbol):
            object.__setattr__(layer, attr, before.get((id(layer), attr)))


def key(slots: list[Slot]) -> tuple:
    """The guard key part of carried state: per attribute, None or its array's type, shape, dtype."""
    found = []
    for layer, attr in slots:
        value = getattr(layer, attr, None)
        d = value.data if isinstance(value, Variable) else value
        found.append(None if d is None else (type(d), tuple(d.shape), d.dtype))
    return tuple(found)


def write(slots: list[tuple[Any, str, int]], outs: list[Any]) -> None:
    """Set each carried attribute to its new state (a Variable without history: no gradient)."""
    from dezero_core.graph.variable import _new_variable

    for layer, attr, k in slots:
        setattr(layer, attr, _new_variable(outs[k], False))
