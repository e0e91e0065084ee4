"""``softsign``: a differentiable function added by a plugin (``dezero_core.functions.softsign``)."""
from __future__ import annotations

from typing import Any

from dezero_core import Function, Variable
from dezero_core.functions.spec import Arg, checked


class Softsign(Function):
    """``y = x / (1 + |x|)``, ``dy/dx = 1 / (1 + |x|)**2 = (1 - |y|)**2``."""

    def forward(self, xp, x):
        return x / (1 + xp.abs(x))

    def backward(self, xp, xs, y, gy):
        # Written with y so that backward(create_graph=True) differentiates it again: |y| = y*sign(y)
        # and sign is a constant (its derivative is 0 wherever it is defined).
        t = 1 - y * xp.sign(y)
        return gy * t * t


# The conformance suite checks a plugin's functions like the built-ins: these samples, against
# this independent numpy reference. The second derivative jumps at 0: samples keep away from it.
@checked((Arg((2, 3), -3.0, 3.0, away_from=(0.0,)),), double_grad=True,
         reference=lambda np, x: x / (1 + np.abs(x)))
def softsign(x: Any) -> Variable:
    """Softsign, ``x / (1 + |x|)``: a bounded activation like tanh, with slower-saturating tails."""
    return Softsign()(x)
