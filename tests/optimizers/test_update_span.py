"""``Optimizer.apply_update(named, spans)``: updating element ranges of the flattened parameters
(what each process of ``dezero-mpi``'s sharded update does) equals the whole update on those
elements, bit for bit, and leaves every other element alone."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import optimizers as O
from dezero_core.layers import Layer

# a weight above BLOCK_ELEMENTS (several blocks per span), a bias, a scalar
SHAPES = {"w": (300, 400), "b": (7,), "s": ()}
OPTIMIZERS = {
    "SGD": lambda: O.SGD(0.1), "MomentumSGD": lambda: O.MomentumSGD(0.1), "Nesterov": lambda: O.Nesterov(0.1),
    "Adam": lambda: O.Adam(0.01), "AdamW": lambda: O.AdamW(0.01), "AdaGrad": lambda: O.AdaGrad(0.1),
    "RMSProp": lambda: O.RMSProp(0.01), "AdaDelta": lambda: O.AdaDelta(),
}


class Model(Layer):
    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        for name, shape in SHAPES.items():
            setattr(self, name, dz.Parameter(rng.standard_normal(shape), name=name))


def _set_grads(model: Model, step: int) -> None:
    rng = np.random.default_rng(100 + step)
    for name, param in model.named_params():
        param.grad = rng.standard_normal(SHAPES[name])


def _trained(optimizer_name: str, spans=None, steps: int = 3) -> tuple[Model, O.Optimizer]:
    model = Model()
    optimizer = OPTIMIZERS[optimizer_name]().setup(model)
    for step in range(steps):
        _set_grads(model, step)
        if spans is None:
            optimizer.update()
        else:
            optimizer.apply_update(optimizer.params_to_update(), spans)
    return model, optimizer


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_spans_covering_every_element_equal_update_bit_for_bit(name):
    whole, whole_opt = _trained(name)
    spans = {key: (0, int(np.prod(shape))) for key, shape in SHAPES.items()}
    parts, parts_opt = _trained(name, spans)
    for (key, expected), (_, got) in zip(whole.named_params(), parts.named_params()):
        np.testing.assert_array_equal(got.data, expected.data, err_msg=key)
    for key, slots in whole_opt.state.items():
        for slot, value in slots.items():
            np.testing.assert_array_equal(parts_opt.state[key][slot], value, err_msg=f"{key}/{slot}")
    assert parts_opt.t == whole_opt.t == 3


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_span_updates_its_elements_as_update_and_leaves_the_rest(name):
    whole, _ = _trained(name)
    start, stop = 70001, 119999  # across block boundaries, inside the weight
    part, _ = _trained(name, {"w": (start, stop)})
    initial = Model()
    got, expected, before = (m.w.data.reshape(-1) for m in (part, whole, initial))
    np.testing.assert_array_equal(got[start:stop], expected[start:stop])
    np.testing.assert_array_equal(got[:start], before[:start])
    np.testing.assert_array_equal(got[stop:], before[stop:])
    np.testing.assert_array_equal(part.b.data, initial.b.data)  # not in spans: not updated
    np.testing.assert_array_equal(part.s.data, initial.s.data)


def test_a_non_elementwise_optimizer_refuses_spans():
    class Normalized(O.Optimizer):  # needs the whole gradient's norm: no part of it alone
        def update_one(self, data, grad, state):
            data -= grad / np.linalg.norm(grad)

    model = Model()
    optimizer = Normalized().setup(model)
    _set_grads(model, 0)
    with pytest.raises(ValueError, match="Normalized is not elementwise: it cannot update part of a parameter"):
        optimizer.apply_update(optimizer.params_to_update(), {"w": (0, 10)})
    assert optimizer.t == 0  # refused before counting the step


def test_a_non_contiguous_parameter_is_refused_not_silently_left_alone():
    model = Model()
    model.w.data = np.asfortranarray(model.w.data)
    optimizer = O.SGD(0.1).setup(model)
    _set_grads(model, 0)
    with pytest.raises(ValueError, match="SGD.update_span: the parameter of 'w' is not C-contiguous, so part of "
                                         "it cannot be updated in place; give it a contiguous copy"):
        optimizer.apply_update(optimizer.params_to_update(), {"w": (0, 10)})
