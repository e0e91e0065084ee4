"""The ONNX form of the plugin's function, for dezero-onnx's export (loaded only when exporting).

A converter gets the builder and the node (``node.fn``: the Function instance, ``node.inputs``:
values with name, shape and dtype) and returns the name of the ONNX value of the output. It needs
nothing from dezero-onnx at import time, so this plugin does not depend on it.
"""
from __future__ import annotations

from typing import Any


def softsign(builder: Any, node: Any) -> str:
    """``Softsign``: ONNX's own operator computes ``x / (1 + |x|)``."""
    return builder.op("Softsign", node.inputs[0])
