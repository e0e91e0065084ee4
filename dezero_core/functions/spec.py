"""What a registered function declares so that the conformance suite can check it.

It lives beside the functions, which declare their samples with it at import; the conformance
suite (:mod:`dezero_core.testing`) reads it from here.

Every function registered under ``dezero.functions`` carries a :class:`Check` (attached with the
:func:`checked` decorator): the sample calls it is checked on, and optionally an independent
reference implementation. The suite walks the registry, so a plugin's functions are checked exactly
like the built-in ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Arg:
    """A random array input of a sample call.

    ``dtype="float"`` means the floating dtype under test (float32, then float64); any other dtype
    name (``"int64"``, ``"bool"``) is used as is and is never gradient-checked. Integer inputs are
    drawn from ``[low, high)``. ``away_from`` keeps float samples at least ``margin`` from points
    where the function has a kink (relu at 0), where numerical gradients are meaningless.
    """

    shape: tuple[int, ...] = ()
    low: float = -1.0
    high: float = 1.0
    dtype: str = "float"
    grad: bool = True
    away_from: tuple[float, ...] = ()
    margin: float = 0.05

    @property
    def differentiable(self) -> bool:
        """Whether the suite gradient-checks this input."""
        return self.grad and self.dtype == "float"


@dataclass(frozen=True)
class Sample:
    """One call: positional inputs and kwargs.

    A positional input is an ``Arg`` (a random array), a list or tuple of Args (a sequence of arrays,
    as ``concat`` takes), or anything else, passed as is.
    """

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def __str__(self) -> str:
        if self.label:
            return self.label
        parts = [_describe(a) for a in self.args]
        parts += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return ",".join(parts)


def _describe(value: Any) -> str:
    """An Arg by its shape; a list or tuple of Args (``concat([a, b])``) as a list of shapes."""
    if isinstance(value, Arg):
        return str(value.shape)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Arg) for v in value):
        return "[" + ",".join(_describe(v) for v in value) + "]"
    return repr(value)


#: reference(np, *host_args, **kwargs) -> numpy array or tuple of arrays, computed independently
Reference = Callable[..., Any]


@dataclass(frozen=True)
class Check:
    """How the conformance suite checks one function."""

    samples: tuple[Sample, ...]
    reference: Reference | None = None
    grad: bool = True
    double_grad: bool = False
    random: bool = False  # draws random numbers: the suite reseeds before every evaluation
    atol: float | None = None
    rtol: float | None = None


def checked(*samples: Sample | tuple, reference: Reference | None = None, grad: bool = True,
            double_grad: bool = False, random: bool = False, atol: float | None = None,
            rtol: float | None = None) -> Callable[[Callable], Callable]:
    """Attach the conformance :class:`Check` of a function; a tuple stands for ``Sample(tuple)``."""
    normalized = tuple(s if isinstance(s, Sample) else Sample(tuple(s)) for s in samples)
    check = Check(normalized, reference, grad, double_grad, random, atol, rtol)

    def attach(fn: Callable) -> Callable:
        fn.__dezero_check__ = check  # type: ignore[attr-defined]
        return fn

    return attach


def check_of(fn: Any) -> Check | None:
    """The :class:`Check` a function declared, or None."""
    return getattr(fn, "__dezero_check__", None)
