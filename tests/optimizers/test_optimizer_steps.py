"""Each optimizer's first two steps against the formula computed by hand in numpy."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import optimizers as O
from dezero_core.layers import Layer

P0 = np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]])
G1 = np.array([[0.2, -0.4, 1.0], [-0.5, 0.3, 0.05]])
G2 = np.array([[-0.1, 0.6, 0.2], [0.4, -0.2, 0.7]])


class One(Layer):
    def __init__(self, value=P0):
        super().__init__()
        self.p = dz.Parameter(value.copy(), name="p")


def two_steps(optimizer):
    model = One()
    optimizer.setup(model)
    results = []
    for g in (G1, G2):
        model.p.grad = g.copy()
        optimizer.update()
        results.append(model.p.data.copy())
    return results


def sgd(lr=0.1):
    p = P0.copy()
    out = []
    for g in (G1, G2):
        p = p - lr * g
        out.append(p)
    return out


def momentum(lr=0.1, mu=0.9):
    p, v = P0.copy(), np.zeros_like(P0)
    out = []
    for g in (G1, G2):
        v = mu * v - lr * g
        p = p + v
        out.append(p)
    return out


def nesterov(lr=0.1, mu=0.9):
    # Nesterov's look-ahead form in the variable phi = p + mu * v (Sutskever et al.): the update of p
    # with v' = mu v - lr g is p' = p + mu^2 v - (1 + mu) lr g
    p, v = P0.copy(), np.zeros_like(P0)
    out = []
    for g in (G1, G2):
        v_new = mu * v - lr * g
        p = p - mu * v + (1 + mu) * v_new
        v = v_new
        out.append(p)
    return out


def adagrad(lr=0.1, eps=1e-8):
    p, h = P0.copy(), np.zeros_like(P0)
    out = []
    for g in (G1, G2):
        h = h + g * g
        p = p - lr * g / (np.sqrt(h) + eps)
        out.append(p)
    return out


def adadelta(rho=0.95, eps=1e-6):
    p, msg, msdx = P0.copy(), np.zeros_like(P0), np.zeros_like(P0)
    out = []
    for g in (G1, G2):
        msg = rho * msg + (1 - rho) * g * g
        dx = np.sqrt((msdx + eps) / (msg + eps)) * g
        msdx = rho * msdx + (1 - rho) * dx * dx
        p = p - dx
        out.append(p)
    return out


def rmsprop(lr=0.1, alpha=0.99, eps=1e-8):
    p, ms = P0.copy(), np.zeros_like(P0)
    out = []
    for g in (G1, G2):
        ms = alpha * ms + (1 - alpha) * g * g
        p = p - lr * g / (np.sqrt(ms) + eps)
        out.append(p)
    return out


def adam(lr=0.1, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    p, m, v = P0.copy(), np.zeros_like(P0), np.zeros_like(P0)
    out = []
    for t, g in enumerate((G1, G2), start=1):
        p = p - lr * wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        # Adam's efficient form (Kingma & Ba, section 2): eps is added to sqrt(v), not sqrt(v_hat)
        p = p - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        out.append(p)
    return out


CASES = {
    "SGD": (lambda: O.SGD(lr=0.1), sgd),
    "MomentumSGD": (lambda: O.MomentumSGD(lr=0.1, momentum=0.9), momentum),
    "Nesterov": (lambda: O.Nesterov(lr=0.1, momentum=0.9), nesterov),
    "AdaGrad": (lambda: O.AdaGrad(lr=0.1), adagrad),
    "AdaDelta": (lambda: O.AdaDelta(), adadelta),
    "RMSProp": (lambda: O.RMSProp(lr=0.1), rmsprop),
    "Adam": (lambda: O.Adam(lr=0.1), adam),
    "AdamW": (lambda: O.AdamW(lr=0.1, weight_decay=0.5), lambda: adam(wd=0.5)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_first_two_steps_match_the_formula(name):
    make, reference = CASES[name]
    got = two_steps(make())
    for step, (actual, expected) in enumerate(zip(got, reference()), start=1):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12, err_msg=f"{name} step {step}")


@pytest.mark.parametrize("name", list(CASES))
def test_updates_happen_in_place(name):
    make, _ = CASES[name]
    model, optimizer = One(), make()
    optimizer.setup(model)
    data = model.p.data
    model.p.grad = G1.copy()
    optimizer.update()
    state = dict(optimizer.state["p"])
    model.p.grad = G2.copy()
    optimizer.update()
    assert model.p.data is data
    assert all(optimizer.state["p"][k] is v for k, v in state.items())


@pytest.mark.parametrize("name", list(CASES))
def test_float32_parameters_and_state_stay_float32(name):
    make, _ = CASES[name]
    model, optimizer = One(P0.astype(np.float32)), make()
    optimizer.setup(model)
    for g in (G1, G2):
        model.p.grad = g.astype(np.float32)
        optimizer.update()
    assert model.p.dtype == np.float32
    assert all(a.dtype == np.float32 for a in optimizer.state["p"].values())


def test_adam_accepts_the_books_alpha():
    assert O.Adam(alpha=0.01).lr == 0.01


def test_parameters_without_a_gradient_are_left_alone():
    model = One()
    O.SGD().setup(model).update()
    np.testing.assert_array_equal(model.p.data, P0)


def test_update_before_setup_says_to_call_setup():
    with pytest.raises(RuntimeError, match=r"setup\(model\)"):
        O.SGD().update()


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_updates_in_cache_sized_blocks_equal_whole_array_updates(name, backend, monkeypatch):
    if backend == "strict":
        pytest.importorskip("array_api_strict")
    from dezero_core.optimizers import blocks

    make, _ = CASES[name]
    rng = np.random.default_rng(0)
    start = rng.standard_normal((37, 5))
    grads = [rng.standard_normal((37, 5)) for _ in range(3)]
    results = []
    for block, minimum in ((10**9, 10**9), (10, 20)):  # whole arrays; then blocks of 2 rows
        monkeypatch.setattr(blocks, "BLOCK_ELEMENTS", block)
        monkeypatch.setattr(blocks, "MIN_BLOCKED_ELEMENTS", minimum)
        blocks._blocks_by_type_and_shape.clear()
        assert (blocks.row_blocks((37, 5)) is None) == (block > 100)
        model = One(start).to(backend)
        optimizer = make().setup(model)
        for g in grads:
            model.p.grad = dz.get_backend(backend).from_host(g)
            optimizer.update()
        results.append(dz.get_backend(backend).to_host(model.p.data))
    blocks._blocks_by_type_and_shape.clear()
    np.testing.assert_array_equal(results[1], results[0])
