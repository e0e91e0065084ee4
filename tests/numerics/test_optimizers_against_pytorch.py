"""Every optimizer with a PyTorch equivalent against ``torch.optim``: the parameter after each of six
steps on the same gradients, in float64 (to 1e-10) and float32 (to 1e-5).

Conventions that differ on purpose are in :data:`CONVENTIONS`, each bridged by the arguments given to
PyTorch or tested as a difference below; nothing is skipped.
"""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import optimizers as O
from dezero_core.layers import Layer

torch = pytest.importorskip("torch")

CONVENTIONS = {
    "MomentumSGD": "the velocity holds the rate, v = momentum*v - lr*g, p += v (the book's); PyTorch's "
                   "holds gradients, v = momentum*v + g, p -= lr*v. Equal while lr is constant; after a "
                   "schedule changes lr, the old rate lingers in ours (test below)",
    "Nesterov": "the same rate-in-velocity form as MomentumSGD (Bengio et al.'s); equal to PyTorch's "
                "nesterov=True while lr is constant",
    "Adam": "eps is added to sqrt(v) before the bias correction of the step size (Kingma & Ba's "
            "efficient form, Chainer's and the book's); PyTorch adds it to sqrt(v_hat): compared with eps=0, "
            "where the two are the same formula",
    "AdamW": "as Adam",
    "AdaDelta": "has no learning rate (Zeiler's); PyTorch's Adadelta scales by lr: compared with lr=1",
}

STEPS = 6
SHAPE = (4, 3)
TOLERANCES = {"float64": 1e-10, "float32": 1e-5}

PAIRS = {
    "SGD": (lambda: O.SGD(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "MomentumSGD": (lambda: O.MomentumSGD(lr=0.1, momentum=0.8),
                    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8)),
    "Nesterov": (lambda: O.Nesterov(lr=0.1, momentum=0.8),
                 lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True)),
    "AdaGrad": (lambda: O.AdaGrad(lr=0.1, eps=1e-8), lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-8)),
    "RMSProp": (lambda: O.RMSProp(lr=0.01, alpha=0.9, eps=1e-8),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    "AdaDelta": (lambda: O.AdaDelta(rho=0.9, eps=1e-6), lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    "Adam": (lambda: O.Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=0.0),
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=0.0)),
    "AdamW": (lambda: O.AdamW(lr=0.01, beta1=0.8, beta2=0.99, eps=0.0, weight_decay=0.1),
              lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.8, 0.99), eps=0.0, weight_decay=0.1)),
}


class One(Layer):
    def __init__(self, value: np.ndarray) -> None:
        super().__init__()
        self.p = dz.Parameter(value, name="p")


def trajectories(name: str, dtype: str, lr_at=None) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The parameter after each step, ours and PyTorch's, and the gradients; ``lr_at(step)`` sets both rates."""
    ours_factory, theirs_factory = PAIRS[name]
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal(SHAPE).astype(dtype)
    # gradients of several scales and signs, none zero (Adam with eps=0 divides by sqrt(v))
    grads = [(rng.uniform(0.2, 2.0, SHAPE) * rng.choice([-1, 1], SHAPE) * 10.0 ** rng.integers(-2, 2)).astype(dtype)
             for _ in range(STEPS)]
    model, param = One(p0.copy()), torch.tensor(p0.copy(), requires_grad=True)
    ours, theirs = ours_factory(), theirs_factory([param])
    ours.flush_denormal = False
    ours.setup(model)
    got, want = [], []
    for step, g in enumerate(grads):
        if lr_at is not None:
            ours.lr = lr_at(step)
            for group in theirs.param_groups:
                group["lr"] = lr_at(step)
        model.p.grad = g.copy()
        ours.update()
        param.grad = torch.tensor(g.copy())
        theirs.step()
        got.append(model.p.data.copy())
        want.append(param.detach().numpy().copy())
    return got, want, grads


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", PAIRS)
def test_optimizer_agrees_with_torch_optim(name: str, dtype: str) -> None:
    got, want, _ = trajectories(name, dtype)
    for step, (a, b) in enumerate(zip(got, want), start=1):
        assert a.dtype == np.dtype(dtype)
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * float(np.max(np.abs(b))), err_msg=f"step {step}")


def test_every_optimizer_is_compared() -> None:
    assert set(PAIRS) == {"SGD", "MomentumSGD", "Nesterov", "AdaGrad", "AdaDelta", "RMSProp", "Adam", "AdamW"}


@pytest.mark.parametrize("name", ["MomentumSGD", "Nesterov"])
def test_after_a_rate_change_the_old_rate_lingers_in_the_velocity(name: str) -> None:
    # the difference CONVENTIONS lists: when lr drops tenfold before step 4, PyTorch's update applies
    # the new rate to the whole velocity, ours only to the new gradient
    got, want, grads = trajectories(name, "float64", lr_at=lambda step: 0.1 if step < 3 else 0.01)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-10)
    assert not np.allclose(got[3], want[3], rtol=1e-3)
    if name == "MomentumSGD":  # the book's formula: v = momentum * v - lr * g with v = the last step
        np.testing.assert_allclose(got[3] - got[2], 0.8 * (got[2] - got[1]) - 0.01 * grads[3], rtol=1e-9)
