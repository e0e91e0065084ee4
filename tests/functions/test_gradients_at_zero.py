"""Gradients of powers at 0, as PyTorch gives them (the formulas give 0·inf and 0·log 0, nan).

``x ** 0`` is constant: its gradient is 0 everywhere, 0 included. ``d/db a ** b`` at ``a = 0`` is 0
for ``b >= 0`` (the one-sided limit). Each expected value is PyTorch's, written out.
"""
from __future__ import annotations

import numpy as np

from dezero_core import Variable, functions as F


def test_the_gradient_of_x_to_the_zero_is_zero_at_zero(put, host) -> None:
    x = Variable(put([0.0, 2.0, -3.0]))
    (x ** 0).backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 0.0]


def test_power_with_an_exponent_array_of_zeros_has_a_zero_base_gradient_at_zero(put, host) -> None:
    a, b = Variable(put([0.0, 0.0, 2.0])), Variable(put([0.0, 2.0, 0.0]))
    with np.errstate(all="raise"):  # and computes no 0 ** -1 on the way
        F.sum(F.power(a, b)).backward()
    assert host(a.grad).tolist() == [0.0, 0.0, 0.0]  # b=0: constant; b=2: 2*0**1


def test_the_exponent_gradient_of_a_zero_base_is_zero_for_nonnegative_exponents(put, host) -> None:
    a, b = put([0.0, 0.0, 0.0, 2.0]), Variable(put([0.0, 0.5, 3.0, 3.0]))  # a constant: d/da is inf at b=0.5
    F.sum(F.power(a, b)).backward()
    np.testing.assert_allclose(host(b.grad), [0.0, 0.0, 0.0, 8.0 * np.log(2.0)], rtol=1e-15)


def test_the_exponent_gradient_of_a_zero_base_and_a_negative_exponent_is_minus_infinity(put, host) -> None:
    a, b = Variable(put([0.0])), Variable(put([-1.0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        F.sum(F.power(a, b)).backward()
    assert host(b.grad).tolist() == [-np.inf]  # PyTorch: inf * log(0)


def test_zero_to_the_x_has_a_zero_gradient_for_nonnegative_x(put, host) -> None:
    x = Variable(put([0.0, 1.5]))
    F.sum(F.rpow_scalar(x, 0.0)).backward()
    assert host(x.grad).tolist() == [0.0, 0.0]

