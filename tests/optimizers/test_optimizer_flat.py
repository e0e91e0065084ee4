"""``FlatGroup``: small parameters updated as one flat array equal one update per parameter."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import optimizers as O
from dezero_core.layers import Layer
from dezero_core.optimizers.flat import SMALL_ELEMENTS, FlatGroup, flat_groups

SHAPES = {"a": (3, 4), "b": (4,), "c": (), "d": (2, 1, 3)}


class Small(Layer):
    def __init__(self, dtype=np.float32) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        for name, shape in SHAPES.items():
            setattr(self, name, dz.Parameter(rng.standard_normal(shape).astype(dtype), name=name))


def _gradients(step: int, dtype=np.float32) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(100 + step)
    return {name: rng.standard_normal(shape).astype(dtype) for name, shape in SHAPES.items()}


def _grouped_step(optimizer, group: FlatGroup, grads: dict[str, np.ndarray]) -> None:
    optimizer.t += 1
    optimizer.begin_step()
    group.start()
    for i, (name, _) in enumerate(group.members):
        group.put_grad(i, grads[name])
    group.update()


OPTIMIZERS = {
    "SGD": lambda: O.SGD(0.1), "MomentumSGD": lambda: O.MomentumSGD(0.1), "Nesterov": lambda: O.Nesterov(0.1),
    "Adam": lambda: O.Adam(0.01), "AdamW": lambda: O.AdamW(0.01), "AdaGrad": lambda: O.AdaGrad(0.1),
    "RMSProp": lambda: O.RMSProp(0.01), "AdaDelta": lambda: O.AdaDelta(),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_a_group_updates_as_one_update_per_parameter_bit_for_bit(make) -> None:
    eager_model, grouped_model = Small(), Small()
    eager, grouped = make().setup(eager_model), make().setup(grouped_model)
    eager.flush_denormal = grouped.flush_denormal = False  # the flushing step is the caller's (static.update)
    groups = flat_groups(grouped, grouped_model.named_param_list())
    assert len(groups) == 1 and [n for n, _ in groups[0].members] == list(SHAPES)
    for step in range(5):
        grads = _gradients(step)
        for name, p in eager_model.named_params():
            p.grad = grads[name].copy()
        eager.update()
        _grouped_step(grouped, groups[0], grads)
    assert grouped.t == eager.t == 5
    for (name, p), (_, q) in zip(eager_model.named_params(), grouped_model.named_params()):
        np.testing.assert_array_equal(q.data, p.data, err_msg=name)
        for key, value in eager.state[name].items():
            np.testing.assert_array_equal(grouped.state[name][key], value, err_msg=f"{name}.{key}")


def test_the_optimizer_state_is_the_group_state_and_a_replaced_state_invalidates_it() -> None:
    model = Small()
    optimizer = O.Adam().setup(model)
    group = flat_groups(optimizer, model.named_param_list())[0]
    arrays = {name: p.data for name, p in model.named_params()}
    _grouped_step(optimizer, group, _gradients(0))
    assert all(p.data is arrays[name] for name, p in model.named_params())  # updated in place, never replaced
    optimizer.state["b"]["m"][...] = 7.0  # a view of the flat moment: the next update starts from it
    span = group.spans[[n for n, _ in group.members].index("b")]
    np.testing.assert_array_equal(group.state["m"][span], np.full(4, 7.0, np.float32))
    assert group.valid()
    optimizer.load_state_dict(optimizer.state_dict())
    assert not group.valid()


def test_a_member_without_a_gradient_is_left_alone() -> None:
    model, reference = Small(), Small()
    optimizer, expected = O.Adam().setup(model), O.Adam().setup(reference)
    group = flat_groups(optimizer, model.named_param_list())[0]
    grads = _gradients(0)
    optimizer.t += 1
    optimizer.begin_step()
    group.start()
    for i, (name, _) in enumerate(group.members):
        group.put_grad(i, None if name == "c" else grads[name])
    group.update()
    for name, p in reference.named_params():
        p.grad = None if name == "c" else grads[name].copy()
    expected.update()
    for (name, p), (_, q) in zip(reference.named_params(), model.named_params()):
        np.testing.assert_array_equal(q.data, p.data, err_msg=name)
    assert "c" not in expected.state
    np.testing.assert_array_equal(optimizer.state["c"]["m"], np.zeros((), np.float32))


def test_only_small_parameters_of_one_dtype_of_an_elementwise_optimizer_are_grouped() -> None:
    model = Small()
    model.big = dz.Parameter(np.zeros(SMALL_ELEMENTS + 1, np.float32), name="big")
    model.wide = dz.Parameter(np.zeros(3, np.float64), name="wide")  # alone in its dtype: no group
    groups = flat_groups(O.Adam().setup(model), model.named_param_list())
    assert [sorted(n for n, _ in g.members) for g in groups] == [sorted(SHAPES)]

    class NotElementwise(O.SGD):
        elementwise = False

    assert flat_groups(NotElementwise().setup(model), model.named_param_list()) == []
