"""Helpers of the ONNX tests: run a file in onnxruntime, run a function in eager test mode.

Importing it skips the importing test module when dezero-onnx or onnxruntime is not installed."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pytest

pytest.importorskip("dezero_onnx", reason="dezero-onnx is not installed (pip install -e 'plugins/onnx[test]')")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests run exported files in onnxruntime "
                                                "(pip install -e 'plugins/onnx[test]')")


def onnxruntime_session(path: Any) -> Any:
    """An onnxruntime session of the ONNX file at ``path`` (CPU, 1 thread)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_onnxruntime(path_or_session: Any, *arrays: np.ndarray) -> list[np.ndarray]:
    """The outputs of an ONNX file (or a session of one) on ``arrays``, computed by onnxruntime."""
    session = path_or_session if hasattr(path_or_session, "run") else onnxruntime_session(path_or_session)
    names = [i.name for i in session.get_inputs()]
    assert len(names) == len(arrays), f"the file takes inputs {names}, {len(arrays)} given"
    return session.run(None, dict(zip(names, arrays)))


def eager(fn: Any, *arrays: Any) -> list[np.ndarray]:
    """``fn(*arrays)`` in test mode without recording, outputs as host arrays."""
    from dezero_core.config import no_grad, test_mode

    with test_mode(), no_grad():
        out = fn(*arrays)
    outs: Sequence[Any] = out if isinstance(out, (tuple, list)) else (out,)
    return [np.asarray(getattr(y, "data", y)) for y in outs]
