"""``Scale``: a layer added by a plugin (``registry("dezero.layers").get("Scale")``)."""
from __future__ import annotations

from typing import Any

from dezero_core import Parameter, Variable, as_variable
from dezero_core.layers import Layer


class Scale(Layer):
    """``y = gamma * x`` with one learnable scalar ``gamma``, starting at ``init``.

    ``gamma`` is created at the first call, on x's backend and device and in x's dtype, so a float32
    model stays float32 on any backend.
    """

    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        self.init = init
        self.gamma = Parameter(None, name="gamma")

    def forward(self, x: Any) -> Variable:
        """``gamma * x``."""
        x = as_variable(x)
        if self.gamma.data is None:
            self.gamma.data = x.backend.xp.full((), self.init, dtype=x.dtype, device=x.data.device)
        return self.gamma * x

    def extra_repr(self) -> str:
        return f"init={self.init}"
