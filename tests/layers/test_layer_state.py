"""Layer: what it holds, in which order, and how its state is saved, loaded and moved."""
from __future__ import annotations

import os

import numpy as np
import pytest

import dezero_core as dz
from dezero_core.backend.selection import backend_of
from dezero_core.layers import Layer, StateDictError


class Affine(Layer):
    """A small layer written against existing functions only (matmul), with a buffer."""

    def __init__(self, n_in: int, n_out: int, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W = dz.Parameter(rng.standard_normal((n_in, n_out)).astype(np.float32), name="W")
        self.b = dz.Parameter(np.zeros(n_out, np.float32), name="b")
        self.register_buffer("count", np.zeros(1, np.float32))

    def forward(self, x):
        return dz.functions.matmul(x, self.W) + self.b


class Net(Layer):
    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        # assigned out of name order on purpose
        self.head = Affine(4, 2, seed + 1)
        self.body = Affine(3, 4, seed)
        self.alpha = dz.Parameter(np.ones(1, np.float32), name="alpha")

    def forward(self, x):
        return self.head(self.body(x)) * self.alpha


def test_named_params_are_sorted_by_name_through_sublayers():
    assert [name for name, _ in Net().named_params()] == ["alpha", "body/W", "body/b", "head/W", "head/b"]


def test_params_follow_the_order_of_named_params():
    net = Net()
    assert [id(p) for p in net.params()] == [id(p) for _, p in net.named_params()]


def test_a_shared_parameter_is_listed_once_under_its_first_name():
    net = Net()
    net.tied = net.body.W
    assert [name for name, _ in net.named_params()].count("body/W") == 1
    assert "tied" not in dict(net.named_params())


def test_params_see_layers_and_parameters_added_replaced_or_removed_later():
    net = Net()
    list(net.named_params())
    net.body.extra = dz.Parameter(np.zeros(1, np.float32))
    net.head = Affine(4, 7)
    del net.alpha
    names = dict(net.named_params())
    assert "body/extra" in names and "alpha" not in names
    assert names["head/W"].shape == (4, 7)


def test_buffers_are_state_but_not_parameters():
    net = Net()
    assert "body/count" not in dict(net.named_params())
    assert dict(net.named_buffers()).keys() == {"body/count", "head/count"}
    assert "body/count" in net.state_dict()


def test_call_runs_forward():
    net = Net()
    x = np.ones((5, 3), np.float32)
    assert net(x).shape == (5, 2)


def test_cleargrads_forgets_every_gradient():
    net = Net()
    net(np.ones((5, 3), np.float32)).sum().backward()
    assert all(p.grad is not None for p in net.params())
    net.cleargrads()
    assert all(p.grad is None for p in net.params())


def test_state_dict_round_trip_reproduces_the_outputs():
    source, target = Net(seed=0), Net(seed=10)
    x = np.ones((2, 3), np.float32)
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_state_dict_is_a_snapshot_that_later_in_place_updates_do_not_change():
    net = Net()
    state = net.state_dict()
    net.body.W.data += 1.0
    assert not np.array_equal(state["body/W"], net.body.W.data)


def test_loaded_arrays_are_not_shared_with_the_state():
    source, target = Net(0), Net(1)
    target.load_state_dict(source.state_dict())
    target.body.W.data += 1.0
    assert not np.array_equal(target.body.W.data, source.body.W.data)


def test_load_state_dict_names_missing_and_unexpected_entries():
    state = Net().state_dict()
    del state["head/b"]
    state["extra/W"] = np.zeros(3, np.float32)
    with pytest.raises(StateDictError, match=r"missing.*head/b.*unexpected.*extra/W") as info:
        Net().load_state_dict(state)
    assert info.value.missing == ["head/b"] and info.value.unexpected == ["extra/W"]


def test_load_state_dict_names_shape_mismatches_with_both_shapes():
    state = Net().state_dict()
    state["body/W"] = np.zeros((3, 5), np.float32)
    with pytest.raises(StateDictError, match=r"body/W is \(3, 4\) in the layer but \(3, 5\) in the state"):
        Net().load_state_dict(state)


def test_a_failed_load_changes_nothing():
    net = Net()
    before = net.state_dict()
    state = Net(seed=5).state_dict()
    state["head/W"] = np.zeros((1, 1), np.float32)
    with pytest.raises(StateDictError):
        net.load_state_dict(state)
    for name, array in net.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


def test_non_strict_load_takes_the_common_names():
    source, target = Net(0), Net(1)
    state = source.state_dict()
    del state["head/W"]
    target.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(target.body.W.data, source.body.W.data)


def test_loading_casts_to_the_parameters_dtype():
    net = Net()
    state = {k: v.astype(np.float64) for k, v in Net(3).state_dict().items()}
    net.load_state_dict(state)
    assert net.body.W.dtype == np.float32


def test_save_and_load_weights_round_trip(tmp_path):
    path = tmp_path / "net.npz"
    source, target = Net(0), Net(1)
    source.save_weights(path)
    target.load_weights(path)
    for name, array in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], array)


def test_weights_files_use_the_books_key_format(tmp_path):
    path = tmp_path / "net.npz"
    Net().save_weights(path)
    from safetensors.numpy import load_file

    assert sorted(load_file(path)) == ["alpha", "body/W", "body/b", "body/count", "head/W", "head/b", "head/count"]


def test_a_failure_while_saving_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    Net(0).save_weights(path)
    previous = path.read_bytes()
    def half_written(fileobj, arrays, metadata):
        fileobj.write(b"\x10\0\0\0\0\0\0\0{partial")
        raise OSError("disk full")

    monkeypatch.setattr("dezero_core.fileformats.safetensors.write", half_written)
    with pytest.raises(OSError, match="disk full"):
        Net(1).save_weights(path)
    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["net.npz"]  # no temporary file left behind


def test_load_weights_names_the_file_and_the_mismatched_names(tmp_path):
    class Other(Layer):
        def __init__(self):
            super().__init__()
            self.body = Affine(3, 4)

    path = tmp_path / "other.npz"
    Other().save_weights(path)
    with pytest.raises(StateDictError, match=r"other\.npz.*missing.*alpha, head/W, head/b, head/count"):
        Net().load_weights(path)


def test_to_moves_parameters_gradients_and_buffers_in_place_and_returns_self():
    pytest.importorskip("array_api_strict")
    net = Net()
    net(np.ones((2, 3), np.float32)).sum().backward()
    W = net.body.W
    assert net.to("strict") is net
    assert net.body.W is W
    assert {backend_of(p.data).name for p in net.params()} == {"strict"}
    assert backend_of(W.grad.data).name == "strict"
    assert backend_of(net.body.count).name == "strict"
    net.to("numpy")
    assert isinstance(net.body.W.data, np.ndarray) and isinstance(net.head.count, np.ndarray)


def test_state_of_a_strict_model_loads_into_a_numpy_model():
    pytest.importorskip("array_api_strict")
    source = Net(0).to("strict")
    target = Net(1)
    target.load_state_dict(source.state_dict())
    assert isinstance(target.body.W.data, np.ndarray)
    np.testing.assert_array_equal(target.body.W.data, Net(0).body.W.data)
