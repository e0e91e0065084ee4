"""The converters' registry: the entry-point group ``dezero.onnx_converters``.

The entry-point name is the dezero function's op name in the static-graph IR; the object is a
callable ``convert(builder, node) -> output name(s)`` (see :mod:`dezero_onnx.builder`). A plugin
that adds a function adds its converter the same way, in its own ``pyproject.toml``.
"""
from __future__ import annotations

from typing import Callable

from dezero_core.discovery import registry

from dezero_onnx.builder import Node, OnnxBuilder
from dezero_onnx.errors import UnsupportedFunctionError

GROUP = "dezero.onnx_converters"

Converter = Callable[[OnnxBuilder, Node], "str | tuple[str, ...]"]


def supported() -> list[str]:
    """The op names that have a converter (metadata only: nothing is imported)."""
    return sorted(registry(GROUP).names())


def converter_for(op: str) -> Converter:
    """The converter of ``op``; :class:`UnsupportedFunctionError` names it and lists the supported ones."""
    reg = registry(GROUP)
    if op not in reg.names():
        raise UnsupportedFunctionError(
            f"the dezero function {op!r} has no ONNX converter. Supported: {', '.join(supported())}. "
            f"A plugin adds one under the entry-point group {GROUP!r} (see dezero-onnx's README)")
    return reg.get(op)
