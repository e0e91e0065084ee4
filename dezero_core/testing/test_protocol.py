"""The array-backend protocol, on the backend under test.

Names, availability, array types, dtypes, host transfer, devices, the random generator,
``synchronize`` and the extras the array API lacks (scatter-add with repeated indices, sum_to), each
against numpy computing the same thing on the host.
"""
from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest

from dezero_core.testing import references

DTYPES = ("float32", "float64", "int32", "int64", "bool")
HOST = np.arange(6.0).reshape(2, 3) - 2.5


def _skip_unsupported(backend: Any, *keys: str) -> None:
    for key in keys:
        if key in backend.unsupported:
            pytest.skip(f"{backend.name} does not support {key}: {backend.unsupported[key]}")


# -- identity ---------------------------------------------------------------------------------------
@pytest.mark.dezero_reports_unusable  # the one test an unusable backend shows up in, skipped with why
def test_is_available(dezero_backend: Any) -> None:
    assert dezero_backend.is_available()
    assert dezero_backend.unavailable_reason is None


def test_name_is_the_entry_point_name(dezero_backend: Any, request: pytest.FixtureRequest) -> None:
    requested = request.node.callspec.params["dezero_backend"]
    assert dezero_backend.name == requested.split(":")[-1]


def test_unsupported_entries_name_a_dtype_or_an_operation_and_say_why(dezero_backend: Any) -> None:
    for key, why in dezero_backend.unsupported.items():
        assert key in DTYPES or key.startswith("op:"), (
            f"unsupported key {key!r}: use a dtype name ({', '.join(DTYPES)}) or 'op:<function or extra>'")
        assert isinstance(why, str) and why.strip(), f"unsupported[{key!r}] must say why"


# -- arrays ---------------------------------------------------------------------------------------
def test_asarray_gives_an_array_the_backend_owns(dezero_backend: Any) -> None:
    a = dezero_backend.asarray([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(a, dezero_backend.array_types())
    assert dezero_backend.owns(a)


@pytest.mark.parametrize("obj", [[1.0, 2.0], 1.0, None, "text"], ids=["list", "float", "None", "str"])
def test_owns_rejects_non_arrays(dezero_backend: Any, obj: Any) -> None:
    assert not dezero_backend.owns(obj)


def test_owns_rejects_arrays_of_other_backends(dezero_backend: Any) -> None:
    others = _other_usable_backends(dezero_backend)
    if not others:
        pytest.skip("no other usable backend is installed to make a foreign array with")
    for other in others:
        foreign = other.from_host(HOST)
        assert not dezero_backend.owns(foreign), f"{dezero_backend.name} claims an array of {other.name}"


def _other_usable_backends(backend: Any) -> list[Any]:
    from dezero_core.backend.selection import backend_names, get_backend

    others = []
    for name in backend_names():
        try:
            other = get_backend(name)
        except Exception:  # unusable or broken: it makes no arrays
            continue
        if other is not backend:
            others.append(other)
    return others


@pytest.mark.parametrize("dtype", DTYPES)
def test_asarray_respects_dtype(dezero_backend: Any, dtype: str) -> None:
    _skip_unsupported(dezero_backend, dtype)
    a = dezero_backend.asarray([1, 0, 2], dtype=getattr(dezero_backend.xp, dtype))
    assert dezero_backend.to_host(a).dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_host_round_trip_keeps_values_and_dtype(dezero_backend: Any, dtype: str) -> None:
    _skip_unsupported(dezero_backend, dtype)
    host = HOST.astype(dtype)
    a = dezero_backend.from_host(host)
    assert dezero_backend.owns(a)
    back = dezero_backend.to_host(a)
    assert isinstance(back, np.ndarray)
    assert back.dtype == host.dtype
    np.testing.assert_array_equal(back, host)


@pytest.mark.parametrize("shape", [(), (0,), (2, 3)], ids=["0-d", "empty", "2-d"])
def test_to_host_gives_a_numpy_ndarray(dezero_backend: Any, shape: tuple) -> None:
    host = np.full(shape, 1.5)
    _skip_unsupported(dezero_backend, "float64")
    back = dezero_backend.to_host(dezero_backend.xp.sum(dezero_backend.from_host(host)) if not shape
                                  else dezero_backend.from_host(host))  # a 0-d result of a reduction
    assert type(back) is np.ndarray, f"to_host returned a {type(back).__qualname__}, not a numpy.ndarray"
    assert back.shape == shape


def test_to_host_is_a_copy_the_backend_array_does_not_see(dezero_backend: Any) -> None:
    a = dezero_backend.from_host(HOST)
    dezero_backend.to_host(a)[...] = 0.0
    np.testing.assert_array_equal(dezero_backend.to_host(a), HOST)


# -- devices -------------------------------------------------------------------------------------
def test_arrays_live_on_a_listed_device(dezero_backend: Any) -> None:
    devices = dezero_backend.devices()
    assert devices, "devices() must list at least one device"
    assert dezero_backend.device_of(dezero_backend.from_host(HOST)) in devices


def test_to_device_moves_to_every_device_and_keeps_values(dezero_backend: Any) -> None:
    a = dezero_backend.from_host(HOST)
    for device in dezero_backend.devices():
        moved = dezero_backend.to_device(a, device)
        assert dezero_backend.device_of(moved) == device
        np.testing.assert_array_equal(dezero_backend.to_host(moved), HOST)


def test_synchronize_returns_once_work_is_done(dezero_backend: Any) -> None:
    a = dezero_backend.from_host(HOST)
    b = dezero_backend.xp.sin(a)
    assert dezero_backend.synchronize() is None
    np.testing.assert_allclose(dezero_backend.to_host(b), np.sin(HOST), rtol=1e-12)


# -- random --------------------------------------------------------------------------------------
def _draws(backend: Any, generator: Any) -> list[np.ndarray]:
    f64 = backend.xp.float32 if "float64" in backend.unsupported else backend.xp.float64
    return [backend.to_host(a) for a in (generator.uniform(-1.0, 1.0, (3, 4), f64),
                                        generator.normal(0.0, 1.0, (5,), f64),
                                        generator.integers(0, 10, (6,)),
                                        generator.permutation(7))]


def test_random_same_seed_gives_the_same_stream(dezero_backend: Any) -> None:
    first = _draws(dezero_backend, dezero_backend.random_generator(7))
    second = _draws(dezero_backend, dezero_backend.random_generator(7))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_random_different_seeds_give_different_streams(dezero_backend: Any) -> None:
    a = _draws(dezero_backend, dezero_backend.random_generator(1))[0]
    b = _draws(dezero_backend, dezero_backend.random_generator(2))[0]
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_random_floats_have_the_requested_dtype(dezero_backend: Any, dtype: str) -> None:
    _skip_unsupported(dezero_backend, dtype)
    generator = dezero_backend.random_generator(0)
    xp_dtype = getattr(dezero_backend.xp, dtype)
    for a in (generator.uniform(0.0, 1.0, (4,), xp_dtype), generator.normal(0.0, 1.0, (4,), xp_dtype)):
        assert dezero_backend.owns(a)
        assert dezero_backend.to_host(a).dtype == np.dtype(dtype)


def test_random_draws_stay_in_their_ranges(dezero_backend: Any) -> None:
    uniform, normal, integers, permutation = _draws(dezero_backend, dezero_backend.random_generator(3))
    assert uniform.shape == (3, 4) and np.all((uniform >= -1.0) & (uniform < 1.0))
    assert normal.shape == (5,) and np.all(np.isfinite(normal))
    assert integers.dtype.kind in "iu" and np.all((integers >= 0) & (integers < 10))
    np.testing.assert_array_equal(np.sort(permutation), np.arange(7))


def test_random_state_restores_the_stream(dezero_backend: Any) -> None:
    generator = dezero_backend.random_generator(5)
    state = pickle.loads(pickle.dumps(generator.get_state()))  # checkpoints pickle it
    first = _draws(dezero_backend, generator)
    generator.set_state(state)
    for a, b in zip(first, _draws(dezero_backend, generator)):
        np.testing.assert_array_equal(a, b)


def _leaves(value: Any, where: str = "state") -> Any:
    """(place, value) for every value inside nested dicts, lists and tuples."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (f"{where}[{key!r}]", key)
            yield from _leaves(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{where}[{i}]")
    else:
        yield where, value


def test_random_state_is_plain_values_and_host_arrays(dezero_backend: Any) -> None:
    state = dezero_backend.random_generator(5).get_state()
    for where, leaf in _leaves(state):
        assert leaf is None or type(leaf) in (bool, int, float, str) or type(leaf) is np.ndarray, (
            f"get_state() holds a {type(leaf).__module__}.{type(leaf).__qualname__} at {where}: it must "
            f"return plain Python values and host arrays (numpy.ndarray, e.g. from to_host), which "
            f"checkpoints hold")


def test_random_state_survives_a_checkpoint(dezero_backend: Any, tmp_path: Any) -> None:
    from dezero_core.training.checkpoint import load_checkpoint, save_checkpoint

    generator = dezero_backend.random_generator(5)
    save_checkpoint(tmp_path / "generator.ckpt", {"generator": generator.get_state()})
    first = _draws(dezero_backend, generator)
    generator.set_state(load_checkpoint(tmp_path / "generator.ckpt")["generator"])
    for a, b in zip(first, _draws(dezero_backend, generator)):
        np.testing.assert_array_equal(a, b)


# -- the extras ----------------------------------------------------------------------------------
SCATTER_KEYS = {
    "repeated-rows": (np.array([0, 2, 2, 0, 3]), (5, 3)),
    "repeated-pairs": ((np.array([1, 1, 0, 1]), np.array([2, 2, 0, 2])), (4,)),
    "slice": ((slice(1, 3), Ellipsis), (2, 3)),
    "int-then-ellipsis": ((2, Ellipsis), (3,)),
}


@pytest.mark.parametrize("key", SCATTER_KEYS)
def test_scatter_add_accumulates_repeated_indices(dezero_backend: Any, key: str) -> None:
    _skip_unsupported(dezero_backend, "op:scatter_add")
    index, values_shape = SCATTER_KEYS[key]
    values = np.arange(np.prod(values_shape), dtype=np.float32).reshape(values_shape) + 1.0
    expected = np.zeros((4, 3), np.float32)
    np.add.at(expected, index, values)

    target = dezero_backend.from_host(np.zeros((4, 3), np.float32))
    backend_index = tuple(_on(dezero_backend, k) for k in index) if isinstance(index, tuple) \
        else _on(dezero_backend, index)
    dezero_backend.scatter_add(target, backend_index, dezero_backend.from_host(values))
    np.testing.assert_array_equal(dezero_backend.to_host(target), expected)


def _on(backend: Any, key: Any) -> Any:
    return backend.from_host(key) if isinstance(key, np.ndarray) else key


@pytest.mark.parametrize("shape,target", [((2, 3), (1, 3)), ((2, 3), (3,)), ((2, 3, 4), (3, 1)),
                                          ((2, 3), (2, 3)), ((2, 3), ())])
def test_sum_to_sums_over_broadcast_axes(dezero_backend: Any, shape: tuple, target: tuple) -> None:
    host = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    _skip_unsupported(dezero_backend, "float64")
    got = dezero_backend.to_host(dezero_backend.sum_to(dezero_backend.from_host(host), target))
    np.testing.assert_allclose(got, references.sum_to(np, host, target))


def test_ops_namespace_is_the_array_api_plus_the_extras(dezero_backend: Any) -> None:
    ops = dezero_backend.ops
    assert ops.sin is dezero_backend.xp.sin
    assert ops.sum_to == dezero_backend.sum_to
    assert ops.scatter_add == dezero_backend.scatter_add


@pytest.mark.parametrize("dtype,atol", [("float32", 1e-6), ("float64", 1e-14)])
def test_erf_matches_the_error_function(dezero_backend: Any, dtype: str, atol: float) -> None:
    _skip_unsupported(dezero_backend, dtype, "op:erf")
    host = np.linspace(-5.0, 5.0, 81).astype(dtype)
    got = dezero_backend.to_host(dezero_backend.erf(dezero_backend.from_host(host)))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, [math.erf(v) for v in host.astype(np.float64)], rtol=0, atol=atol)


#: (kh, kw, sy, sx, ph, pw) for an (2, 3, 5, 6) image: overlapping, strided, padded, asymmetric
WINDOWS = {
    "3x3-stride1-pad1": (3, 3, 1, 1, 1, 1),
    "2x2-stride2": (2, 2, 2, 2, 0, 0),
    "3x2-stride2x1-pad1x0": (3, 2, 2, 1, 1, 0),
    "1x1": (1, 1, 1, 1, 0, 0),
}
IMAGE = np.random.default_rng(0).uniform(-1.0, 1.0, (2, 3, 5, 6))


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("window", WINDOWS)
def test_im2col_gives_every_window(dezero_backend: Any, window: str, dtype: str) -> None:
    _skip_unsupported(dezero_backend, dtype, "op:im2col")
    host = IMAGE.astype(dtype)
    got = dezero_backend.to_host(dezero_backend.im2col(dezero_backend.from_host(host), *WINDOWS[window]))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, references.im2col(np, host, *WINDOWS[window]))


def test_im2col_pads_with_the_pad_value(dezero_backend: Any) -> None:
    _skip_unsupported(dezero_backend, "op:im2col")
    host = IMAGE.astype(np.float32)
    got = dezero_backend.to_host(dezero_backend.im2col(dezero_backend.from_host(host), 3, 3, 2, 2, 1, 1,
                                                       pad_value=-np.inf))
    np.testing.assert_array_equal(got, references.im2col(np, host, 3, 3, 2, 2, 1, 1, pad_value=-np.inf))


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("window", WINDOWS)
def test_col2im_adds_every_window_back(dezero_backend: Any, window: str, dtype: str) -> None:
    _skip_unsupported(dezero_backend, dtype, "op:col2im")
    shape = references.im2col(np, IMAGE, *WINDOWS[window]).shape
    col = np.random.default_rng(1).uniform(-1.0, 1.0, shape).astype(dtype)
    got = dezero_backend.to_host(dezero_backend.col2im(dezero_backend.from_host(col), IMAGE.shape,
                                                       *WINDOWS[window]))
    assert got.dtype == np.dtype(dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12  # overlapping windows may be summed in any order
    np.testing.assert_allclose(got, references.col2im(np, col, IMAGE.shape, *WINDOWS[window]), rtol=tol, atol=tol)


@pytest.mark.parametrize("window", WINDOWS)
def test_col2im_is_the_adjoint_of_im2col(dezero_backend: Any, window: str) -> None:
    _skip_unsupported(dezero_backend, "float64", "op:im2col", "op:col2im")
    b, params = dezero_backend, WINDOWS[window]
    col = np.random.default_rng(2).uniform(-1.0, 1.0, references.im2col(np, IMAGE, *params).shape)
    windows = b.to_host(b.im2col(b.from_host(IMAGE), *params))
    summed = b.to_host(b.col2im(b.from_host(col), IMAGE.shape, *params))
    # <im2col(x), c> == <x, col2im(c)>: what makes col2im the gradient of im2col
    np.testing.assert_allclose(np.sum(windows * col), np.sum(IMAGE * summed), rtol=1e-12)
