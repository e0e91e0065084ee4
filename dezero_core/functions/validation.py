"""Input checks shared by the functions: errors that name the function, the argument and the values.

They run before ``forward``, on metadata only (dtype, shape), except :func:`check_labels`, which
reads the labels once to report an out-of-range class before it turns into a silent wrong gather.
"""
from __future__ import annotations

import math
import contextlib
import operator
from contextvars import ContextVar
from typing import Any, Iterator

from dezero_core.backend.selection import backend_of
from dezero_core.graph.variable import Variable

#: set (through :func:`integers_allowed`) by a facade whose users compute on integers as numpy does,
#: like the book's DeZero: :func:`require_float` then lets integer and boolean data through
ALLOW_INTEGERS: ContextVar[bool] = ContextVar("allow_integers", default=False)

_is_float_cache: dict[tuple[type, Any], bool] = {}
_is_int_cache: dict[tuple[type, Any], bool] = {}
_is_bool_cache: dict[tuple[type, Any], bool] = {}


def data_of(x: Any) -> Any:
    """The array behind a Variable, or ``x`` itself."""
    return x.data if isinstance(x, Variable) else x


def checked_array(x: Any) -> Any:
    """The array an input *check* reads: ``data_of(x)``, or for a Define-and-Run symbol the array it
    had when its graph was traced (checks run once then; a symbol's values are never computed on)."""
    data = data_of(x)
    return data.dezero_checkable() if type(data).__name__.startswith("Placeholder") else data


def _kind(cache: dict[Any, bool], x: Any, kind: str) -> bool:
    dtype = x.dtype
    key = (type(dtype), dtype)  # the type first: dtypes of different libraries never get compared
    try:
        return cache[key]
    except KeyError:
        cache[key] = result = backend_of(checked_array(x)).xp.isdtype(dtype, kind)
        return result


def is_floating(x: Any) -> bool:
    """Whether the array or Variable ``x`` has a real floating-point dtype."""
    return _kind(_is_float_cache, x, "real floating")


def is_integral(x: Any) -> bool:
    """Whether the array or Variable ``x`` has an integer dtype."""
    return _kind(_is_int_cache, x, "integral")


def is_bool(x: Any) -> bool:
    """Whether the array or Variable ``x`` has the boolean dtype."""
    return _kind(_is_bool_cache, x, "bool")


def require_float(fn: str, x: Any, arg: str = "x") -> None:
    """Raise a TypeError when ``x`` (an array or Variable) holds integers or booleans.

    A differentiable function computes on real numbers: an integer input would either fail deep
    inside the array library or silently give float64 results and meaningless gradients.
    """
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        if isinstance(x, (int, float)):  # a Python scalar takes the other operand's dtype
            return
        raise TypeError(f"{fn}: {arg} must be an array or a Variable, got {type(x).__name__}; convert it "
                        f"first (numpy: np.asarray({arg}, dtype=np.float32))")
    # the cache read inline: every differentiable function runs this on every call
    if not (_is_float_cache.get((type(dtype), dtype)) or is_floating(x)) and not ALLOW_INTEGERS.get():
        raise TypeError(
            f"{fn}: {arg} has dtype {x.dtype}, but {fn} is differentiable and needs floating-point "
            f"data. Cast it first, e.g. xp.astype({arg}, xp.float32) on the array (numpy: "
            f"{arg}.astype(np.float32)), then wrap it in a Variable."
        )


@contextlib.contextmanager
def integers_allowed() -> Iterator[None]:
    """Let integer and boolean data through :func:`require_float` inside the block (this thread or
    task only): the functions then compute on them as the array library does (``linear`` of int64
    arrays is int64). For facades that must accept what their users' code passes, like the book's."""
    token = ALLOW_INTEGERS.set(True)
    try:
        yield
    finally:
        ALLOW_INTEGERS.reset(token)


def require_ndim(fn: str, x: Any, at_least: int, arg: str, layout: str) -> None:
    """Raise a ValueError when ``x`` has fewer than ``at_least`` dimensions; ``layout`` names them."""
    if x.ndim < at_least:
        raise ValueError(f"{fn}: {arg} must have shape {layout} (at least {at_least} dimensions), "
                         f"got shape {tuple(x.shape)}")


def require_same_shape(fn: str, a: Any, b: Any, names: tuple[str, str] = ("x0", "x1")) -> None:
    """Raise a ValueError when ``a`` and ``b`` differ in shape (no silent broadcasting)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{fn}: {names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} and "
            f"{tuple(b.shape)}; reshape one of them (broadcasting (N, 1) against (N,) would compare "
            f"every pair of rows)"
        )


def check_class_layout(fn: str, x: Any, t: Any) -> None:
    """Raise unless scores ``x`` are ``(N, C, ...)`` and labels ``t`` are ``(N, ...)`` to match."""
    require_ndim(fn, x, 2, "x", "(N, C) or (N, C, d1, ...)")
    expected = (x.shape[0],) + tuple(x.shape[2:])
    if tuple(t.shape) != expected:
        raise ValueError(f"{fn}: labels t must have shape {expected} for scores x of shape "
                         f"{tuple(x.shape)} (one class index per sample), got {tuple(t.shape)}")


def check_labels(fn: str, t: Any, num_classes: int, ignore_index: int | None = None) -> None:
    """Raise for labels that are not integers in ``[0, num_classes)`` (``ignore_index`` excepted).

    Reads the labels back once (one small reduction); the message gives the first offending value
    and its position.
    """
    data = checked_array(t)
    if data is None:  # a symbol without example values: nothing to check before it runs
        return
    if not is_integral(data):
        raise TypeError(f"{fn}: labels t must be integer class indices, got dtype {data.dtype}; "
                        f"cast them with astype to int64")
    xp = backend_of(data).ops
    if math.prod(data.shape) == 0:
        return
    if ignore_index is None:  # the common case: two reductions, no temporary the size of t
        if int(xp.min(data)) >= 0 and int(xp.max(data)) < num_classes:
            return
        bad = xp.logical_or(data < 0, data >= num_classes)
    else:
        bad = xp.logical_and(xp.logical_or(data < 0, data >= num_classes), data != ignore_index)
    if bool(xp.any(bad)):
        flat_bad = xp.reshape(bad, (-1,))
        position = int(xp.argmax(xp.astype(flat_bad, xp.int8)))
        value = int(xp.reshape(data, (-1,))[position])
        ignored = "" if ignore_index is None else f", or ignore_index={ignore_index}"
        raise ValueError(
            f"{fn}: label {value} (at flat position {position} of t, shape {tuple(data.shape)}) is out "
            f"of range for {num_classes} classes: labels must lie in [0, {num_classes - 1}]{ignored}"
        )


def integer(value: Any) -> int:
    """``value`` as a Python int when it is integral (``int``, ``numpy.int64``, a 0-d integer array).

    A bool is refused (``True`` as a stride is a mistake), and so is a float, even ``2.0``.
    """
    if isinstance(value, bool):
        raise TypeError(f"expected an int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"expected an int, got {value!r} of type {type(value).__name__}") from None


def axis_in(fn: str, axis: int, ndim: int, what: str = "axis") -> int:
    """``axis`` as a non-negative index into ``ndim`` dimensions, or a ValueError naming the range."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{fn}: {what}={axis} is out of range for {ndim} dimensions "
                         f"(valid: {-ndim}..{ndim - 1})")
    return axis % ndim
