"""The errors of ONNX export and import."""
from __future__ import annotations


class ExportError(ValueError):
    """A model or function that cannot be written as ONNX: what, and what to do instead."""


class UnsupportedFunctionError(ExportError):
    """A dezero function with no registered ONNX converter (the message lists the supported ones)."""


class LoadError(ValueError):
    """An ONNX file that :func:`dezero_onnx.load` cannot run: the operator or attribute it lacks."""
