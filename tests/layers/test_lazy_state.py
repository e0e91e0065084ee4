"""State dicts into lazily initialised layers: checked against the structure before anything is assigned."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core
from dezero_core.layers import BatchNorm, Conv2d, Deconv2d, StateDictError
from dezero_core.models import MLP


def trained_state(sizes, in_size=64):
    dezero_core.random.seed(0)
    return MLP(sizes, in_size=in_size).state_dict()


def created(model):
    return [name for name, p in model.named_params() if p.data is not None]


def test_a_lazy_mlp_of_another_architecture_is_refused_with_every_difference():
    model = MLP((64, 32, 10))
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(trained_state((128, 10)))
    message = str(info.value)
    assert info.value.missing == ["l2/W", "l2/b"]
    assert "l0/W is (?, 64) in the layer but (64, 128) in the state" in message
    assert "l1/W is (?, 32) in the layer but (128, 10) in the state" in message
    assert "? is a size the layer takes from its first input" in message
    assert created(model) == []  # nothing assigned


def test_a_lazy_mlp_with_the_same_names_but_other_sizes_is_refused():
    model = MLP((64, 10))
    with pytest.raises(StateDictError, match=r"l0/W is \(\?, 64\) in the layer but \(64, 128\) in the state, "
                                             r"l0/b is \(64,\) in the layer but \(128,\) in the state"):
        model.load_state_dict(trained_state((128, 10)))
    assert created(model) == []


def test_a_lazy_mlp_of_the_same_architecture_loads_and_computes_like_the_source():
    dezero_core.random.seed(0)
    source = MLP((16, 10), in_size=64)
    model = MLP((16, 10))
    model.load_state_dict(source.state_dict())
    x = np.random.default_rng(1).standard_normal((3, 64)).astype(np.float32)
    np.testing.assert_array_equal(model(x).data, source(x).data)


@pytest.mark.parametrize("bad,kind", [
    (lambda a: a.astype(np.int64), "of dtype int64, not a floating-point parameter"),
    (lambda a: a.astype(str), "of dtype <U"),
    (lambda a: a.tolist(), "a list, not an array"),
])
def test_lazy_layers_refuse_weights_that_are_not_floating_point(bad, kind):
    state = trained_state((8, 10))
    state["l0/W"] = bad(state["l0/W"])
    model = MLP((8, 10))
    with pytest.raises(StateDictError, match=rf"wrong kind: l0/W is {kind}"):
        model.load_state_dict(state)
    assert created(model) == []


def test_non_strict_loading_still_checks_shapes_of_lazy_layers():
    model = MLP((64, 10))
    with pytest.raises(StateDictError, match="shape mismatch"):
        model.load_state_dict({"l0/b": np.zeros(128, np.float32)}, strict=False)


@pytest.mark.parametrize("layer,source,message", [
    (lambda: Conv2d(8, 3), lambda: Conv2d(4, 3, in_channels=2),
     r"W is \(8, \?, 3, 3\) in the layer but \(4, 2, 3, 3\) in the state, b is \(8,\) in the layer but \(4,\)"),
    (lambda: Deconv2d(8, 3), lambda: Deconv2d(4, 3, in_channels=2),
     r"W is \(\?, 8, 3, 3\) in the layer but \(2, 4, 3, 3\) in the state"),
    (lambda: BatchNorm(), lambda: _bn_with_matrix_gamma(),
     r"gamma is \(\?,\) in the layer but \(2, 3\) in the state"),
])
def test_lazy_convolutions_and_normalizations_check_shapes_before_their_first_call(layer, source, message):
    target = layer()
    with pytest.raises(StateDictError, match=message):
        target.load_state_dict(source().state_dict())
    assert created(target) == []


def _bn_with_matrix_gamma():
    bn = BatchNorm(3)
    bn.gamma.data = np.ones((2, 3), np.float32)
    return bn
