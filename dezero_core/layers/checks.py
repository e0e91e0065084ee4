"""Checks of a layer's sizes and inputs: errors that name the layer, the value and what to do.

A lazy layer creates its parameters from its first input, so that input is checked before anything
is created: a first call that fails leaves the layer as it was, ready for the right input.
"""
from __future__ import annotations

from typing import Any

from dezero_core.functions.validation import data_of, integer, require_float


def positive_size(layer: str, name: str, value: Any) -> int:
    """``value`` as a Python int when it is an integral value >= 1 (``numpy.int64`` included)."""
    try:
        size = integer(value)
    except TypeError:
        raise TypeError(f"{layer}: {name} must be a positive int, got {value!r} of type "
                        f"{type(value).__name__}") from None
    if size < 1:
        raise ValueError(f"{layer}: {name} must be a positive int, got {size}")
    return size


def optional_size(layer: str, name: str, value: Any) -> int | None:
    """None, or ``value`` checked by :func:`positive_size` (a size a lazy layer may learn later)."""
    return None if value is None else positive_size(layer, name, value)


def check_input(layer: str, x: Any, at_least: int, layout: str) -> None:
    """Raise unless ``x`` is an array or Variable of a numeric dtype with ``at_least`` dimensions.

    ``layout`` names the dimensions for the message, e.g. ``"(batch, in_size)"``.
    """
    data = data_of(x)
    if not (hasattr(data, "shape") and hasattr(data, "dtype")):
        raise TypeError(f"{layer}: the input must be an array or a Variable, got {type(x).__name__}; "
                        f"convert it first (numpy: np.asarray(x, dtype=np.float32))")
    require_float(layer, data)
    if data.ndim < at_least:
        hint = " For one sample, add a batch axis: x[None]." if data.ndim == at_least - 1 else ""
        raise ValueError(f"{layer}: x must have shape {layout} (at least {at_least} dimensions), got "
                         f"shape {tuple(data.shape)}.{hint}")
