"""The torch backend beyond the conformance suite: torch's default device honoured, scatter_add on keys
the suite does not try, a random stream that does not depend on the dtype asked for, and generator
state coming back from a checkpoint as a tensor."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core.backend import backend_names, get_backend

pytestmark = pytest.mark.skipif("torch" not in backend_names(), reason="dezero-torch is not installed")


@pytest.fixture
def backend():
    return get_backend("torch")


@pytest.fixture
def meta_default_device(backend):
    """torch's default device set to 'meta' (a device without storage, present on every machine)."""
    torch = backend._torch
    previous = torch.get_default_device()
    torch.set_default_device("meta")
    yield torch.device("meta")
    torch.set_default_device(previous)


def test_new_tensors_go_to_torchs_default_device(backend, meta_default_device) -> None:
    assert backend.from_host(np.ones(3)).device == meta_default_device
    assert backend.asarray([1.0, 2.0]).device == meta_default_device


def test_from_host_copies(backend) -> None:
    host = np.zeros(3)
    tensor = backend.from_host(host)
    host[0] = 7.0
    assert float(tensor[0]) == 0.0


@pytest.mark.parametrize("key", ["rows-and-slice", "mask", "negative-ints"])
def test_scatter_add_on_mixed_keys_matches_numpy(backend, key: str) -> None:
    keys = {
        "rows-and-slice": (np.array([0, 2, 0]), slice(1, 3)),
        "mask": np.array([True, False, True, True]),
        "negative-ints": (np.array([-1, -1, 0]), np.array([2, 2, -3])),
    }
    host_key = keys[key]
    expected = np.zeros((4, 3))
    values = np.arange(np.zeros((4, 3))[host_key].size, dtype=np.float64).reshape(
        np.zeros((4, 3))[host_key].shape) + 1.0
    np.add.at(expected, host_key, values)

    torch_key = tuple(backend.from_host(k) if isinstance(k, np.ndarray) else k for k in host_key) \
        if isinstance(host_key, tuple) else backend.from_host(host_key)
    target = backend.from_host(np.zeros((4, 3)))
    backend.scatter_add(target, torch_key, backend.from_host(values))
    np.testing.assert_array_equal(backend.to_host(target), expected)


def test_scatter_add_into_a_non_contiguous_target(backend) -> None:
    base = backend.from_host(np.zeros((3, 4)))
    target = base.T  # a view with strides (1, 4)
    backend.scatter_add(target, backend.from_host(np.array([1, 1, 3])), backend.from_host(np.ones((3, 3))))
    expected = np.zeros((4, 3))
    np.add.at(expected, np.array([1, 1, 3]), np.ones((3, 3)))
    np.testing.assert_array_equal(backend.to_host(target), expected)
    np.testing.assert_array_equal(backend.to_host(base), expected.T)  # written through the view


def test_one_seed_draws_the_same_numbers_in_float32_and_float64(backend) -> None:
    torch = backend._torch
    low = backend.random_generator(3).uniform(0.0, 1.0, (1000,), torch.float32)
    high = backend.random_generator(3).uniform(0.0, 1.0, (1000,), torch.float64)
    # a dropout mask drawn in float32 is the mask a float64 check of the same seed draws
    np.testing.assert_array_equal(backend.to_host(low) < 0.5, backend.to_host(high) < 0.5)
    np.testing.assert_allclose(backend.to_host(low), backend.to_host(high), rtol=1e-7)


def test_generator_state_comes_back_from_a_tensor(backend) -> None:
    generator = backend.random_generator(9)
    state = backend.from_host(generator.get_state())  # how a checkpoint loads it on this backend
    first = backend.to_host(generator.normal(0.0, 1.0, (5,), backend._torch.float32))
    generator.set_state(state)
    np.testing.assert_array_equal(backend.to_host(generator.normal(0.0, 1.0, (5,), backend._torch.float32)), first)


def test_a_state_that_is_not_a_generator_state_is_refused(backend) -> None:
    with pytest.raises(ValueError, match="a torch generator state is a 1-d uint8 array"):
        backend.random_generator(0).set_state(np.zeros(4, np.float32))
