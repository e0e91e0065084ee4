"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU``, one time step per call, state kept between calls.

Each holds its hidden state after a call, so calling it on ``x_1, x_2, ...`` unrolls the network
through time; :meth:`reset_state` starts a new sequence. The gates of LSTM and GRU come from one
input-to-hidden ``Linear`` (``x2h``) and one hidden-to-hidden ``Linear`` (``h2h``) of several hidden
sizes each, then split: two matrix products per step instead of one per gate.
"""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.graph.variable import Variable
from dezero_core.layers.checks import check_input, positive_size
from dezero_core.layers.layer import Layer
from dezero_core.layers.linear import Linear


class _Recurrent(Layer):
    """``x2h`` (in_size -> gates * hidden_size, with bias) and ``h2h`` (hidden -> gates * hidden, no bias)."""

    gates = 1

    def __init__(self, hidden_size: int, in_size: int | None = None, dtype: Any = None) -> None:
        super().__init__()
        hidden_size = positive_size(type(self).__name__, "hidden_size", hidden_size)
        self.hidden_size = hidden_size
        self.x2h = Linear(self.gates * hidden_size, in_size=in_size, dtype=dtype)
        # hidden -> hidden: its input is the hidden state, so its size is hidden_size (the book's RNN
        # passes in_size here, which breaks as soon as in_size differs from hidden_size)
        self.h2h = Linear(self.gates * hidden_size, in_size=hidden_size, nobias=True, dtype=dtype)
        self.reset_state()

    def reset_state(self) -> None:
        """Forget the hidden state: the next call starts a new sequence."""
        self.h: Variable | None = None

    def _pre_activations(self, x: Any) -> tuple[Variable, Variable | None]:
        """``(x2h(x), h2h(h))``, the second None at the first step; checks that ``x`` continues the
        batch of the hidden state (the state of another batch size would broadcast or fail deep)."""
        if self.x2h.W.data is None:  # named after this layer, not its inner Linear
            check_input(type(self).__name__, x, 2, "(batch, in_size)")
        ax = self.x2h(x)
        if self.h is None:
            return ax, None
        if ax.shape[0] != self.h.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: x has a batch of {ax.shape[0]} but "
                f"the hidden state from the previous call has a batch of {self.h.shape[0]}; call "
                f"reset_state() before a sequence of another batch size")
        return ax, self.h2h(self.h)

    def _gate(self, a: Variable, k: int) -> Variable:
        """The k-th block of ``hidden_size`` columns of the stacked pre-activations ``a``."""
        h = self.hidden_size
        return a[:, k * h:(k + 1) * h]

    def extra_repr(self) -> str:
        return f"in_size={self.x2h.in_size}, hidden_size={self.hidden_size}"


class RNN(_Recurrent):
    """Elman RNN: ``h_t = tanh(x2h(x_t) + h2h(h_{t-1}))``, ``h_0 = 0``. Returns ``h_t``."""

    def forward(self, x: Any) -> Variable:
        """One time step; ``x`` has shape ``(batch, in_size)``."""
        ax, ah = self._pre_activations(x)
        self.h = F.tanh(ax if ah is None else ax + ah)
        return self.h


class LSTM(_Recurrent):
    """Long short-term memory. Returns ``h_t``; the cell state is ``c``.

    Gates, stacked in this order in ``x2h`` and ``h2h``: forget ``f``, input ``i``, output ``o``
    (sigmoids) and the candidate ``u`` (tanh); ``c_t = f * c_{t-1} + i * u``, ``h_t = o * tanh(c_t)``.
    """

    gates = 4

    def reset_state(self) -> None:
        """Forget the hidden and cell states."""
        super().reset_state()
        self.c: Variable | None = None

    def forward(self, x: Any) -> Variable:
        """One time step; ``x`` has shape ``(batch, in_size)``."""
        ax, ah = self._pre_activations(x)
        a = ax if ah is None else ax + ah
        f, i, o = (F.sigmoid(self._gate(a, k)) for k in range(3))
        u = F.tanh(self._gate(a, 3))
        self.c = i * u if self.c is None else f * self.c + i * u
        self.h = o * F.tanh(self.c)
        return self.h


class GRU(_Recurrent):
    """Gated recurrent unit. Returns ``h_t``.

    Gates, stacked in this order: reset ``r``, update ``z``, candidate ``n``:
    ``r = σ(x_r + h_r)``, ``z = σ(x_z + h_z)``, ``n = tanh(x_n + r * h_n)``,
    ``h_t = (1 - z) * n + z * h_{t-1}`` (``x_*`` from x2h, ``h_*`` from h2h, ``h_0 = 0``).
    """

    gates = 3

    def forward(self, x: Any) -> Variable:
        """One time step; ``x`` has shape ``(batch, in_size)``."""
        ax, ah = self._pre_activations(x)
        if ah is None:  # h_0 = 0: every h2h term vanishes
            z = F.sigmoid(self._gate(ax, 1))
            self.h = (1 - z) * F.tanh(self._gate(ax, 2))
            return self.h
        r = F.sigmoid(self._gate(ax, 0) + self._gate(ah, 0))
        z = F.sigmoid(self._gate(ax, 1) + self._gate(ah, 1))
        n = F.tanh(self._gate(ax, 2) + r * self._gate(ah, 2))
        self.h = (1 - z) * n + z * self.h
        return self.h
