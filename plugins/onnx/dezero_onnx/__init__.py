"""dezero-onnx: dezero models, layers and functions written as ONNX files, and ONNX files run on
any dezero backend.

- :func:`export` traces a model or function once (through the static-graph core) and writes it,
  first axis dynamic by default; every file passes ``onnx.checker`` (full check).
- :func:`load` gives a function running a file through dezero's registered functions.
- Converters are registered under the entry-point group ``dezero.onnx_converters``, keyed by the
  function's op name (:func:`supported` lists them); see README.md to add one.
"""
from dezero_onnx.converters import supported
from dezero_onnx.errors import ExportError, LoadError, UnsupportedFunctionError
from dezero_onnx.export import DEFAULT_OPSET, TESTED_OPSETS, export
from dezero_onnx.reader import OnnxFunction, load

__all__ = ["DEFAULT_OPSET", "ExportError", "LoadError", "OnnxFunction", "TESTED_OPSETS",
           "UnsupportedFunctionError", "export", "load", "supported"]
