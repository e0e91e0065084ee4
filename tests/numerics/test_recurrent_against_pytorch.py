"""RNN, LSTM and GRU against PyTorch's RNNCell, LSTMCell and GRUCell over three time steps: the hidden
states, the gradient of every input and of every parameter, in float64 (to 1e-10) and float32 (to 1e-5).

Layout conventions bridged here: our ``x2h`` and ``h2h`` are Linear layers (W of shape (in, out)) with
the gates stacked as blocks of columns, where PyTorch stacks them as blocks of rows of (out, in)
weights; our LSTM stacks (forget, input, output, candidate), PyTorch (input, forget, candidate,
output); our h2h has no bias (PyTorch's bias_hh is set to 0, the same model).
"""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F, layers as L

torch = pytest.importorskip("torch")

HIDDEN, IN, BATCH, STEPS = 5, 3, 4, 3
TOLERANCES = {"float64": 1e-10, "float32": 1e-5}
#: layer -> (PyTorch cell, PyTorch's gate order as indices of our blocks)
CELLS = {"RNN": (torch.nn.RNNCell, [0]), "LSTM": (torch.nn.LSTMCell, [1, 0, 3, 2]), "GRU": (torch.nn.GRUCell, [0, 1, 2])}


def blocks(W: np.ndarray, order: list[int]) -> np.ndarray:
    """Our (in, gates*H) weight as PyTorch's (gates*H, in), gates reordered."""
    return np.concatenate([W[:, k * HIDDEN:(k + 1) * HIDDEN].T for k in order])


def run(name: str, dtype: str):
    rng = np.random.default_rng(3)
    ours = getattr(L, name)(HIDDEN, in_size=IN, dtype=dtype)
    cell_type, order = CELLS[name]
    cell = cell_type(IN, HIDDEN, dtype=getattr(torch, dtype))
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(blocks(ours.x2h.W.data, order)))
        cell.weight_hh.copy_(torch.tensor(blocks(ours.h2h.W.data, order)))
        cell.bias_ih.copy_(torch.tensor(blocks(ours.x2h.b.data[None, :], order)[:, 0]))
        cell.bias_hh.zero_()
    xs = [rng.standard_normal((BATCH, IN)).astype(dtype) * 2 for _ in range(STEPS)]
    ws = [rng.standard_normal((BATCH, HIDDEN)).astype(dtype) for _ in range(STEPS)]
    x_vars = [Variable(x) for x in xs]
    x_tensors = [torch.tensor(x, requires_grad=True) for x in xs]
    hs, ths, loss, tloss, state = [], [], None, 0, None
    for x, tx, w in zip(x_vars, x_tensors, ws):
        h = ours(x)
        state = cell(tx, state)
        th = state[0] if name == "LSTM" else state
        term = F.sum(h * w)
        loss = term if loss is None else loss + term
        tloss = tloss + (th * torch.tensor(w)).sum()
        hs.append(h.data.copy())
        ths.append(th.detach().numpy().copy())
    loss.backward()
    tloss.backward()
    grads = [v.grad.data for v in x_vars] + [ours.x2h.W.grad.data, ours.x2h.b.grad.data, ours.h2h.W.grad.data]
    tgrads = [t.grad.numpy() for t in x_tensors] + [
        blocks_back(cell.weight_ih.grad.numpy(), order), blocks_back(cell.bias_ih.grad.numpy()[:, None], order)[0],
        blocks_back(cell.weight_hh.grad.numpy(), order)]
    return hs, ths, grads, tgrads


def blocks_back(T: np.ndarray, order: list[int]) -> np.ndarray:
    """PyTorch's (gates*H, in) gradient in our (in, gates*H) layout and gate order."""
    ours = [None] * len(order)
    for position, k in enumerate(order):
        ours[k] = T[position * HIDDEN:(position + 1) * HIDDEN].T
    return np.concatenate(ours, axis=1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_recurrent_layer_agrees_with_pytorchs_cell(name: str, dtype: str) -> None:
    hs, ths, grads, tgrads = run(name, dtype)
    tol = TOLERANCES[dtype]
    for step, (h, th) in enumerate(zip(hs, ths), start=1):
        np.testing.assert_allclose(h, th, rtol=tol, atol=tol, err_msg=f"h at step {step}")
    labels = [f"x at step {k}" for k in range(1, STEPS + 1)] + ["x2h/W", "x2h/b", "h2h/W"]
    for label, g, tg in zip(labels, grads, tgrads):
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g, tg, rtol=tol, atol=tol * float(np.max(np.abs(tg))), err_msg=f"gradient of {label}")
