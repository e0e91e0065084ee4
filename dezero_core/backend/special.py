"""Portable special functions the array API standard lacks, written with standard functions only.

They are the defaults behind :class:`~dezero_core.backend.protocol.ArrayBackend` extras; a backend
whose library has a native kernel (``cupyx.scipy.special.erf``) overrides the extra instead.
"""
from __future__ import annotations

import math
from typing import Any

#: |x| at which erf switches from its Maclaurin series to the continued fraction of erfc
_ERF_SPLIT = 2.0
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
#: (series terms, continued-fraction depth) per precision: the fewest for which truncation stays
#: below rounding. Max |error| against ``math.erf`` over [-8, 8]: 9e-16 in float64, 4e-7 in float32
#: (7 ulp, near |x| = 1.8, where the alternating series loses digits to cancellation)
_ERF_TERMS = {"double": (30, 40), "single": (18, 14)}
#: Maclaurin coefficients of erf(x) / (2 x / sqrt(pi)) in powers of x**2: (-1)**n / (n! (2n + 1))
_SERIES = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(max(t for t, _ in _ERF_TERMS.values()) + 1)]


def erf(xp: Any, x: Any) -> Any:
    """The error function, elementwise, to the precision of ``x``'s floating dtype.

    For ``|x| <= 2`` the Maclaurin series ``erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))``
    (Abramowitz & Stegun 7.1.5), evaluated by Horner's rule; beyond, ``1 - erfc(x)`` with erfc's
    continued fraction ``erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))``
    (A&S 7.1.14), evaluated bottom-up at a fixed depth. Every coefficient follows from a closed form,
    so there is no table to trust.

    Each branch runs only on its own elements (boolean-mask indexing), in place: about 25 ms per
    million float32 values with numpy, a third of evaluating both everywhere. On a GPU the masks
    cost a synchronization; a GPU backend should override the ``erf`` extra with its native kernel.
    """
    terms, depth = _ERF_TERMS["double" if xp.finfo(x.dtype).eps < 1e-10 else "single"]
    a = xp.abs(x)
    near = a <= _ERF_SPLIT  # nan is not: it goes through the continued fraction and stays nan
    r = xp.empty_like(x)
    small = a[near]
    t = small * small
    acc = xp.full_like(t, _SERIES[terms])
    for n in range(terms - 1, -1, -1):
        acc *= t
        acc += _SERIES[n]
    acc *= small
    acc *= _TWO_OVER_SQRT_PI
    r[near] = acc
    far = xp.logical_not(near)
    large = a[far]
    fraction = xp.asarray(large, copy=True)
    for k in range(depth, 0, -1):
        fraction = (0.5 * k) / fraction
        fraction += large
    tail = xp.exp(-(large * large))
    tail *= -_INV_SQRT_PI
    tail /= fraction
    tail += 1.0
    r[far] = tail
    return xp.where(x < 0, -r, r)
