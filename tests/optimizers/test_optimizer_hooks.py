"""WeightDecay, ClipGrad and FreezeParam, run by Optimizer.update before the update."""
from __future__ import annotations

import numpy as np

import dezero_core as dz
from dezero_core import optimizers as O
from dezero_core.layers import Layer


class Two(Layer):
    def __init__(self):
        super().__init__()
        self.a = dz.Parameter(np.array([1.0, 2.0]), name="a")
        self.b = dz.Parameter(np.array([-1.0, 0.5]), name="b")


def with_grads(model, ga, gb):
    model.a.grad = np.array(ga)
    model.b.grad = np.array(gb)
    return model


def test_weight_decay_adds_rate_times_the_parameter_to_the_gradient():
    model = with_grads(Two(), [0.1, 0.2], [0.0, 0.0])
    optimizer = O.SGD(lr=1.0).setup(model)
    optimizer.add_hook(O.WeightDecay(0.5))
    optimizer.update()
    np.testing.assert_allclose(model.a.data, [1.0 - (0.1 + 0.5), 2.0 - (0.2 + 1.0)])
    np.testing.assert_allclose(model.b.data, [-1.0 + 0.5, 0.5 - 0.25])


def test_clip_grad_scales_all_gradients_to_the_max_norm():
    model = with_grads(Two(), [3.0, 0.0], [0.0, 4.0])  # joint norm 5
    optimizer = O.SGD(lr=1.0).setup(model)
    optimizer.add_hook(O.ClipGrad(1.0))
    optimizer.update()
    np.testing.assert_allclose(model.a.data, [1.0 - 0.6, 2.0], rtol=1e-6)
    np.testing.assert_allclose(model.b.data, [-1.0, 0.5 - 0.8], rtol=1e-6)


def test_clip_grad_leaves_small_gradients_unchanged():
    model = with_grads(Two(), [0.3, 0.0], [0.0, 0.4])
    optimizer = O.SGD(lr=1.0).setup(model)
    optimizer.add_hook(O.ClipGrad(1.0))
    optimizer.update()
    np.testing.assert_allclose(model.a.data, [0.7, 2.0])


def test_freeze_param_keeps_the_frozen_parameters_fixed():
    model = with_grads(Two(), [1.0, 1.0], [1.0, 1.0])
    optimizer = O.Adam(lr=0.1).setup(model)
    optimizer.add_hook(O.FreezeParam(model.a))
    optimizer.update()
    np.testing.assert_array_equal(model.a.data, [1.0, 2.0])
    assert not np.array_equal(model.b.data, [-1.0, 0.5])
    assert "a" not in optimizer.state


def test_freeze_param_accepts_layers():
    model = with_grads(Two(), [1.0, 1.0], [1.0, 1.0])
    optimizer = O.SGD().setup(model)
    optimizer.add_hook(O.FreezeParam(model))
    optimizer.update()
    np.testing.assert_array_equal(model.b.data, [-1.0, 0.5])


def test_hooks_replace_shared_gradient_arrays_instead_of_changing_them():
    model = Two()
    shared = np.array([1.0, 1.0])
    model.a.grad = shared
    model.b.grad = shared
    optimizer = O.SGD(lr=1.0).setup(model)
    optimizer.add_hook(O.WeightDecay(1.0))
    optimizer.update()
    np.testing.assert_array_equal(shared, [1.0, 1.0])
    np.testing.assert_allclose(model.b.data, [-1.0 - (1.0 - 1.0), 0.5 - 1.5])
