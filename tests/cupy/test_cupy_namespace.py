"""The array-API namespace over cupy: ``device=`` on creation functions (checked on a fake cupy).

Fakes stand in for cupy's creation functions and devices so that the placement logic is checked
without a GPU; whether real cupy honours it is checked on a GPU by the conformance suite.
"""
from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest

from dezero_cupy.namespace import CREATION, LIKE, CupyNamespace


class FakeDevice:
    """A device whose ``with`` block makes it current, as ``cupy.cuda.Device`` does."""

    current = 0

    def __init__(self, id: int) -> None:
        self.id = id

    def __enter__(self) -> "FakeDevice":
        self.previous, FakeDevice.current = FakeDevice.current, self.id
        return self

    def __exit__(self, *exc: Any) -> None:
        FakeDevice.current = self.previous


class FakeArray:
    """An array that remembers the device it was created on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.device = FakeDevice(FakeDevice.current)
        self.args, self.kwargs = args, kwargs

    def copy(self) -> "FakeArray":
        return FakeArray(copied_from=self)


def fake_cupy() -> types.SimpleNamespace:
    funcs = {name: FakeArray for name in CREATION + LIKE}
    existing = FakeArray()  # made on device 0
    return types.SimpleNamespace(**funcs, exp="cupy.exp", __version__="14.2.0", existing=existing,
                                 asarray=lambda obj, **kw: obj if isinstance(obj, FakeArray) else FakeArray(obj, **kw))


@pytest.fixture
def xp() -> CupyNamespace:
    FakeDevice.current = 0
    return CupyNamespace(fake_cupy())


def test_other_names_are_cupys_own_objects(xp) -> None:
    assert xp.exp == "cupy.exp"


def test_names_cupy_lacks_raise_attribute_error(xp) -> None:
    with pytest.raises(AttributeError):
        xp.no_such_function


def test_dtype_helpers_cupy_lacks_come_from_numpy(xp) -> None:
    assert xp.isdtype is np.isdtype and xp.bool is np.bool


def test_dtype_helpers_cupy_has_are_cupys() -> None:
    cupy = fake_cupy()
    cupy.isdtype = "cupy.isdtype"
    assert CupyNamespace(cupy).isdtype == "cupy.isdtype"


@pytest.mark.parametrize("name", CREATION)
def test_creation_without_device_uses_the_current_device(xp, name) -> None:
    a = getattr(xp, name)((2, 3), dtype="float32")
    assert a.device.id == 0 and a.kwargs == {"dtype": "float32"}  # device= is not passed on to cupy


@pytest.mark.parametrize("name", CREATION)
def test_creation_on_a_device_creates_there_and_restores_the_current_device(xp, name) -> None:
    a = getattr(xp, name)((2, 3), device=FakeDevice(1))
    assert a.device.id == 1
    assert FakeDevice.current == 0


@pytest.mark.parametrize("name", LIKE)
def test_like_functions_default_to_the_device_of_their_argument(xp, name) -> None:
    with FakeDevice(1):
        x = FakeArray()
    assert getattr(xp, name)(x).device.id == 1


@pytest.mark.parametrize("name", LIKE)
def test_like_functions_honour_an_explicit_device(xp, name) -> None:
    assert getattr(xp, name)(FakeArray(), device=FakeDevice(2)).device.id == 2


def test_asarray_without_device_is_cupys(xp) -> None:
    a = xp.asarray([1, 2], dtype="int32")
    assert a.device.id == 0 and a.kwargs == {"dtype": "int32"}


def test_asarray_passes_copy_on_when_given(xp) -> None:
    assert xp.asarray([1, 2], copy=True).kwargs == {"dtype": None, "copy": True}


def test_asarray_on_a_device_converts_there(xp) -> None:
    assert xp.asarray([1, 2], device=FakeDevice(1)).device.id == 1


def test_asarray_copies_an_array_of_another_device_onto_the_requested_one(xp) -> None:
    x = xp._cupy.existing  # on device 0
    moved = xp.asarray(x, device=FakeDevice(1))
    assert moved.device.id == 1 and moved.kwargs == {"copied_from": x}


def test_asarray_keeps_an_array_already_on_the_requested_device(xp) -> None:
    x = xp._cupy.existing
    assert xp.asarray(x, device=FakeDevice(0)) is x
