"""Normalization: batch_norm (per channel, over the batch) and layer_norm (per sample, over features).

Both are one function, :class:`Normalization`: ``gamma * (x - mean) / sqrt(var + eps) + beta`` with
the statistics taken over some axes of ``x`` (batch statistics) or given (batch_norm in test mode,
which uses the running averages). The backward recomputes the statistics with differentiable
``xp`` functions, so second derivatives work in both modes.
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.config import is_training
from dezero_core.functions.validation import data_of, require_float
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Variable
from dezero_core.functions.spec import Arg, Sample, checked


class RunningStats:
    """The running averages batch_norm updates in place: ``avg = decay*avg + (1 - decay)*batch``.

    The variance is the unbiased estimate of the batch's (``m / (m - 1)`` times the biased one, m
    the number of values per channel), as in Chainer and the book.
    """

    def __init__(self, mean: Any, var: Any, decay: float) -> None:
        self.mean = mean
        self.var = var
        self.decay = decay

    def update(self, xp: Any, batch_mean: Any, batch_var: Any, count: int) -> None:
        """Fold one batch's (biased) statistics, of any shape holding one value per channel, in."""
        size = self.mean.shape
        self.mean *= self.decay
        self.mean += (1.0 - self.decay) * xp.reshape(batch_mean, size)
        self.var *= self.decay
        self.var += ((1.0 - self.decay) * count / max(count - 1, 1)) * xp.reshape(batch_var, size)


class Normalization(Function):
    """``gamma * (x - mean) / sqrt(var + eps) + beta``.

    ``axes``: the axes the statistics reduce over (kept as size 1). ``param_shape``: how gamma and
    beta broadcast against x. ``fixed``: given (mean, var), shaped like ``param_shape``, instead of
    batch statistics. ``running``: averages to update with each batch's statistics.
    """

    @property
    def impure(self) -> bool:
        """Updates running averages in place: static graphs never merge, fold or drop it."""
        return self.running is not None

    def __init__(self, axes: tuple[int, ...], param_shape: tuple[int, ...], eps: float,
                 fixed: tuple[Any, Any] | None = None, running: RunningStats | None = None) -> None:
        self.axes = axes
        self.param_shape = param_shape
        self.eps = eps
        self.fixed = fixed
        self.running = running

    def _centered(self, xp: Any, x: Any) -> tuple[Any, Any, Any]:
        """``(x - mean, var, mean)``: the batch's, or the fixed ones."""
        if self.fixed is not None:
            mean, var = self.fixed
            return x - mean, var, mean
        mean = xp.mean(x, axis=self.axes, keepdims=True)
        xc = x - mean
        return xc, xp.mean(xc * xc, axis=self.axes, keepdims=True), mean

    def forward(self, xp, x, gamma, beta):
        xc, var, mean = self._centered(xp, x)
        if self.running is not None:
            self.running.update(xp, mean, var, math.prod(x.shape) // math.prod(self.running.mean.shape))
        # gamma / sqrt(var + eps) is small: fold it into one scale, two passes over x
        y = xc * (xp.reshape(gamma, self.param_shape) / xp.sqrt(var + self.eps))
        y += xp.reshape(beta, self.param_shape)
        return y

    def backward(self, xp, xs, y, gy):
        x, gamma, beta = xs
        xc, var, _ = self._centered(xp, x)
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        x_hat = xc * inv_std
        gx = ggamma = gbeta = None
        if self.needs_grad[0]:
            g = gy * xp.reshape(gamma, self.param_shape)
            if self.fixed is None:  # the statistics depend on x too
                g = g - xp.mean(g, axis=self.axes, keepdims=True) \
                    - x_hat * xp.mean(g * x_hat, axis=self.axes, keepdims=True)
            gx = g * inv_std
        if self.needs_grad[1]:
            ggamma = xp.reshape(xp.sum_to(gy * x_hat, self.param_shape), gamma.shape)
        if self.needs_grad[2]:
            gbeta = xp.reshape(xp.sum_to(gy, self.param_shape), beta.shape)
        return gx, ggamma, gbeta


def _check_param(fn: str, name: str, p: Any, size: int, what: str) -> None:
    if tuple(p.shape) != (size,):
        raise ValueError(f"{fn}: {name} must have shape ({size},), one value per {what}, got {tuple(p.shape)}")


@checked((Arg((4, 3)), Arg((3,)), Arg((3,)), Arg((3,), grad=False), Arg((3,), 0.5, 1.5, grad=False)),
         (Arg((3, 2, 2, 3)), Arg((2,)), Arg((2,)), Arg((2,), grad=False), Arg((2,), 0.5, 1.5, grad=False)),
         Sample((Arg((5, 2)), Arg((2,)), Arg((2,)), Arg((2,), grad=False), Arg((2,), 0.5, 1.5, grad=False)),
                {"decay": 0.5, "eps": 1e-3}),
         double_grad=True)
def batch_norm(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, decay: float = 0.9,
               eps: float = 2e-5) -> Variable:
    """Batch normalization over axis 1 of ``x`` ((N, C) or (N, C, H, W)): ``gamma * x_hat + beta``.

    In training (:func:`dezero_core.is_training`) ``x_hat`` uses the batch's mean and variance per
    channel, and the running averages ``mean`` and ``var`` (arrays of shape (C,)) are updated in
    place: ``mean = decay*mean + (1 - decay)*batch_mean``, likewise ``var`` with the unbiased batch
    variance. In test mode ``x_hat = (x - mean) / sqrt(var + eps)`` with the running averages.
    """
    fn = "batch_norm"
    require_float(fn, x)
    if x.ndim < 2:
        raise ValueError(f"{fn}: x must have shape (N, C) or (N, C, H, W), got {tuple(x.shape)}")
    channels = x.shape[1]
    mean, var = data_of(mean), data_of(var)
    for name, p in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)):
        require_float(fn, p, name)
        _check_param(fn, name, p, channels, "channel (axis 1 of x)")
    param_shape = (1, channels) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    if is_training():
        _check_batch(fn, x)
        f = Normalization(axes, param_shape, eps, running=RunningStats(mean, var, decay))
    else:
        f = Normalization(axes, param_shape, eps, fixed=_as_param_shape(mean, var, param_shape))
    return f(x, gamma, beta)


def _check_batch(fn: str, x: Any) -> None:
    """Raise unless ``x`` holds more than one value per channel: batch statistics of one value are
    ``x - mean = 0`` (the output is beta) and a variance of 0 that decays the running variance; of no
    value, NaN running averages forever."""
    channels = x.shape[1]
    per_channel = math.prod(x.shape) // channels if channels else 2  # no channel: nothing to average
    if per_channel <= 1:
        raise ValueError(
            f"{fn}: expected more than 1 value per channel when training, got x of shape {tuple(x.shape)} "
            f"({per_channel} per channel); train on a larger batch, or normalize with the running averages "
            f"in test mode (with dezero_core.test_mode(): ...)")


def _as_param_shape(mean: Any, var: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    """The running averages as views that broadcast against x."""
    xp = backend_of(mean).xp
    return xp.reshape(mean, shape), xp.reshape(var, shape)


@checked((Arg((4, 3)), Arg((3,)), Arg((3,))), (Arg((2, 3, 4)), Arg((4,)), Arg((4,))),
         Sample((Arg((3, 5)), Arg((5,)), Arg((5,))), {"eps": 1e-3}), double_grad=True)
def layer_norm(x: Any, gamma: Any, beta: Any, eps: float = 1e-5) -> Variable:
    """Layer normalization: each row of ``x`` normalized over its last axis, then ``gamma * x_hat + beta``.

    ``gamma`` and ``beta`` have the size of the last axis. The same in training and test mode.
    """
    fn = "layer_norm"
    require_float(fn, x)
    if x.ndim < 1:
        raise ValueError(f"{fn}: x must have at least one axis, got a 0-d array")
    for name, p in (("gamma", gamma), ("beta", beta)):
        require_float(fn, p, name)
        _check_param(fn, name, p, x.shape[-1], "feature (the last axis of x)")
    return Normalization((x.ndim - 1,), (x.shape[-1],), eps)(x, gamma, beta)


__all__ = ["batch_norm", "layer_norm"]
