"""Anomaly detection: find the function that first produced nan or inf, and the line that called it.

Inside ``with dezero_core.detect_anomaly():`` every function's outputs are checked after its forward,
and every gradient after its backward; the first nan or inf raises :class:`AnomalyError` naming the
function and the user's source line that called it (recorded at forward time, so a bad gradient is
traced back to the forward call that built that part of the graph), as PyTorch's anomaly mode does.

Off, it costs nothing: the forward hook is installed only while some ``detect_anomaly`` block is
open, and the backward engine reads the flag once per ``backward()`` call. On, every function pays
a finiteness check that reads one boolean back from the device: a debugging tool, not a default.
"""
from __future__ import annotations

import contextlib
import linecache
import sys
import threading
from typing import Any, Iterator

from dezero_core.backend.selection import backend_of
from dezero_core.config import register_flag, using_config
from dezero_core.functions.validation import is_floating
from dezero_core.graph.function import Function, forward_hooks
from dezero_core.graph.variable import Variable

#: the ``detect_anomaly`` configuration flag (per thread and async context, like every flag)
DETECT_ANOMALY = register_flag("detect_anomaly", False)

#: frames of these packages are the framework's own; the call site is the first frame outside them
INTERNAL_PACKAGES = ("dezero_core", "dezero")

_lock = threading.Lock()
_open_blocks = 0


class AnomalyError(FloatingPointError):
    """nan or inf appeared in a forward output or a gradient while anomaly detection was on."""


@contextlib.contextmanager
def detect_anomaly(enabled: bool = True) -> Iterator[None]:
    """Raise :class:`AnomalyError` at the first nan/inf produced in forward or backward in this block.

    The error names the function and the user's line that called it. ``detect_anomaly(False)``
    turns detection off inside an enclosing block. Also usable as a decorator.
    """
    global _open_blocks
    if not enabled:
        with using_config("detect_anomaly", False):
            yield
        return
    with _lock:
        _open_blocks += 1
        if _open_blocks == 1:
            forward_hooks.append(_check_forward)
    try:
        with using_config("detect_anomaly", True):
            yield
    finally:
        with _lock:
            _open_blocks -= 1
            if _open_blocks == 0:
                forward_hooks.remove(_check_forward)


def _check_forward(fn: Function, inputs: tuple[Variable, ...], outputs: tuple[Variable, ...]) -> None:
    """The forward hook: remember where ``fn`` was called, and check its outputs."""
    if not DETECT_ANOMALY.get():  # the hook is global; the flag is this thread's
        return
    fn._anomaly_site = _call_site()  # type: ignore[attr-defined]
    for i, out in enumerate(outputs):
        kind = _non_finite(out.data)
        if kind:
            where = "its output" if len(outputs) == 1 else f"its output {i}"
            raise AnomalyError(
                f"detect_anomaly: {fn.name} produced {kind} in {where} ({_describe(out.data)}) in "
                f"forward; {_origin(inputs, 'input')}. {fn.name} was called from {_site_text(fn)}"
            )


def check_backward(fn: Function, grads: tuple[Any, ...], gy: Any) -> None:
    """Raise when the gradients that ``fn``'s backward returned hold nan or inf (called by the engine)."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        kind = _non_finite(g.data if isinstance(g, Variable) else g)
        if kind:
            incoming = gy if isinstance(gy, tuple) else (gy,)
            raise AnomalyError(
                f"detect_anomaly: the backward of {fn.name} produced {kind} in the gradient of its "
                f"input {i} ({_describe(g.data if isinstance(g, Variable) else g)}); "
                f"{_origin(incoming, 'incoming gradient')}. {fn.name} was called from {_site_text(fn)}"
            )


def _non_finite(array: Any) -> str:
    """'nan', 'inf' or '' (floating arrays only: integers and booleans are always finite)."""
    if array is None or not is_floating(array):
        return ""
    xp = backend_of(array).xp
    if bool(xp.all(xp.isfinite(array))):
        return ""
    return "nan" if bool(xp.any(xp.isnan(array))) else "inf"


def _origin(values: tuple[Any, ...], what: str) -> str:
    """Whether the anomaly started here or arrived through one of ``values``."""
    for i, v in enumerate(values):
        kind = _non_finite(v.data if isinstance(v, Variable) else v)
        if kind:
            return f"its {what} {i} already held {kind}, so it started earlier"
    return f"every {what} was finite, so it started here"


def _describe(array: Any) -> str:
    return f"shape {tuple(array.shape)}, {array.dtype}"


def _internal(frame: Any) -> bool:
    module = frame.f_globals.get("__name__", "")
    return any(module == p or module.startswith(p + ".") for p in INTERNAL_PACKAGES)


def _call_site() -> tuple[str, int, str] | None:
    """(file, line, function) of the innermost frame outside the framework, or None."""
    frame = sys._getframe(2)  # skip this function and the hook
    while frame is not None and _internal(frame):
        frame = frame.f_back
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


def _site_text(fn: Function) -> str:
    site = getattr(fn, "_anomaly_site", None)
    if site is None:
        return ("an unknown line (its forward ran outside detect_anomaly(); run the forward pass "
                "inside the block too to see it)")
    filename, lineno, function = site
    line = linecache.getline(filename, lineno).strip()
    return f'File "{filename}", line {lineno}, in {function}' + (f": {line}" if line else "")
