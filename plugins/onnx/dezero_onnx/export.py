"""``export``: a model, a layer or a function over Variables, traced once, written as ONNX.

The forward pass is traced by the static-graph core (``dezero_core.compile``, with no optimisation
pass, so every node is a registered function's call), in test mode and without gradient recording.
With dynamic axes, it is traced a second time with those axes one longer: the axes of every value
that changed with them stay symbolic in the file, so one file serves every batch size.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Mapping, Sequence

import onnx
from dezero_core.serialization import atomic_write

from dezero_onnx.errors import ExportError
from dezero_onnx.program import Program, from_graph
from dezero_onnx.writer import checked_bytes, to_model

DEFAULT_OPSET = 17
#: the opsets the test suite exports and runs in onnxruntime
TESTED_OPSETS = (13, 17, 18)

#: ``dynamic_axes`` default: axis 0 (the batch) of every input
FIRST_AXIS = "first"


def export(model_or_fn: Callable[..., Any], example_inputs: Any, path: "str | os.PathLike[str]",
           opset: int = DEFAULT_OPSET, dynamic_axes: "Mapping[int, Sequence[int]] | str | None" = FIRST_AXIS,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None) -> onnx.ModelProto:
    """Trace ``model_or_fn(*example_inputs)`` and write it to ``path`` as an ONNX model; returns the model.

    ``model_or_fn``: a Model, a Layer, any function over Variables, or an already compiled function.
    ``example_inputs``: one array (or Variable) or a tuple of them, on any backend. ``dynamic_axes``:
    ``{input index: [axes]}`` that stay symbolic (default: axis 0 of every input; None or ``{}``:
    every size fixed). The file passes ``onnx.checker.check_model(full_check=True)`` and is written
    atomically (a failure leaves ``path`` as it was). A function with no ONNX converter is an
    :class:`~dezero_onnx.errors.UnsupportedFunctionError` that names it.
    """
    if not 13 <= opset <= onnx.defs.onnx_opset_version():
        raise ExportError(f"opset {opset} is not supported: dezero-onnx writes opsets 13 to "
                          f"{onnx.defs.onnx_opset_version()} (tested: {', '.join(map(str, TESTED_OPSETS))})")
    examples = tuple(example_inputs) if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    axes = _dynamic_axes(dynamic_axes, examples)
    program = trace(model_or_fn, examples)
    if axes:
        program.mark_varying(trace(model_or_fn, _grown(examples, axes)))
    model = to_model(program, opset, input_names, output_names)
    data = checked_bytes(model)
    atomic_write(path, lambda f: f.write(data))
    return model


def trace(model_or_fn: Callable[..., Any], examples: tuple[Any, ...]) -> Program:
    """The forward pass of ``model_or_fn`` on ``examples`` as a :class:`Program`: traced by the
    static-graph core with no optimisation pass (every node stays a registered function's call, each
    with a converter), in test mode and without gradient recording. A compiled function is traced
    again from its Python function, since its own passes may have fused nodes."""
    import dezero_core as dz
    from dezero_core.config import no_grad, test_mode

    fn = getattr(model_or_fn, "fn", model_or_fn) if hasattr(model_or_fn, "trace_call") else model_or_fn
    with test_mode(), no_grad():
        graph = dz.compile(fn, passes=()).trace_call(examples, {}).graph
    return from_graph(graph)


def _dynamic_axes(dynamic_axes: Any, examples: tuple[Any, ...]) -> dict[int, tuple[int, ...]]:
    if dynamic_axes is None:
        return {}
    if isinstance(dynamic_axes, str):
        if dynamic_axes != FIRST_AXIS:
            raise ExportError(f"dynamic_axes must be {FIRST_AXIS!r}, None or {{input index: [axes]}}, "
                              f"got {dynamic_axes!r}")
        return {i: (0,) for i, x in enumerate(examples) if len(getattr(x, "shape", ())) > 0}
    axes = {}
    for i, which in dict(dynamic_axes).items():
        if not isinstance(i, int) or not 0 <= i < len(examples):
            raise ExportError(f"dynamic_axes: {i!r} is not the index of one of the {len(examples)} example inputs")
        ndim = len(examples[i].shape)
        bad = [a for a in which if not -ndim <= a < ndim]
        if bad:
            raise ExportError(f"dynamic_axes: input {i} has {ndim} axes, no axis {bad[0]}")
        axes[i] = tuple(a % ndim for a in which)
    return axes


def _grown(examples: tuple[Any, ...], axes: dict[int, tuple[int, ...]]) -> tuple[Any, ...]:
    """The examples with each dynamic axis one longer (its first slice repeated at the end)."""
    from dezero_core.backend.selection import backend_of
    from dezero_core.graph.variable import Variable

    grown = list(examples)
    for i, which in axes.items():
        x = examples[i].data if isinstance(examples[i], Variable) else examples[i]
        xp = backend_of(x).xp
        for axis in which:
            first = x[(slice(None),) * axis + (slice(0, 1),)]
            x = xp.concat([x, first], axis=axis)
        grown[i] = x
    return tuple(grown)
