"""The array-API namespace over cupy: ``device=`` on creation functions, the functions cupy lacks.

Fakes stand in for cupy's creation functions and devices so that the placement logic is checked
without a GPU; numpy stands in for cupy where a wrapper calls cupy functions that share numpy's
names and signatures (``var``'s ``ddof``, ``moveaxis``): that checks the wrapper, not cupy. Where
cupy is importable (no device needed), the names are checked on the real cupy namespace; whether
real cupy computes them right is checked on a GPU by the conformance suite.
"""
from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest

from dezero_cupy.namespace import CREATION, LIKE, CupyNamespace
from cupy_fakes import FakeDevice


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


# -- the functions cupy 14 lacks or names differently (numpy standing in for cupy) -----------------
X = np.arange(12.0).reshape(3, 4) ** 1.5


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("correction", [0, 1])
def test_correction_is_passed_as_ddof(name, correction) -> None:
    got = getattr(CupyNamespace(np), name)(X, axis=1, correction=correction, keepdims=True)
    np.testing.assert_allclose(got, getattr(np, name)(X, axis=1, ddof=correction, keepdims=True), rtol=1e-15)
    assert got.shape == (3, 1)


def test_vecdot_sums_conjugated_products_along_axis() -> None:
    a = np.array([[1 + 2j, 3], [0, 1j]])
    b = np.array([[2, 1j], [5, 1j]])
    np.testing.assert_allclose(CupyNamespace(np).vecdot(a, b), [2 - 4j + 3j, 1])
    np.testing.assert_allclose(CupyNamespace(np).vecdot(X, X, axis=0), (X * X).sum(axis=0))


def test_unstack_splits_along_axis() -> None:
    parts = CupyNamespace(np).unstack(X, axis=1)
    assert isinstance(parts, tuple) and len(parts) == 4
    np.testing.assert_array_equal(parts[2], X[:, 2])


# -- the real cupy namespace (importable without a GPU) ----------------------------------------------
def _core_names() -> set[str]:
    import re
    from pathlib import Path

    import dezero_core
    from dezero_core.backend.ops import EXTRAS

    used = set()
    for path in Path(dezero_core.__file__).parent.rglob("*.py"):
        used |= set(re.findall(r"\b(?:xp|ops)\.([A-Za-z_][A-Za-z_0-9]*)", path.read_text()))
    return used - set(EXTRAS) - {"backend"}


def test_real_cupy_has_every_name_the_core_computes_with() -> None:
    cupy = pytest.importorskip("cupy", reason="cupy is not installed (the names need cupy, not a GPU)")
    xp = CupyNamespace(cupy)
    assert sorted(n for n in _core_names() if not hasattr(xp, n)) == []


def test_real_cupy_has_every_function_of_the_array_api_standard() -> None:
    cupy = pytest.importorskip("cupy", reason="cupy is not installed (the names need cupy, not a GPU)")
    array_api_strict = pytest.importorskip("array_api_strict")
    # not functions: the version string and the inspection namespace (the backend lists devices itself)
    meta = {"Device", "ArrayAPIStrictFlags", "__version__", "__array_api_version__", "__array_namespace_info__"}
    names = [n for n in array_api_strict.__all__ if n not in meta and "strict_flags" not in n]
    xp = CupyNamespace(cupy)
    assert sorted(n for n in names if not hasattr(xp, n)) == []


def test_real_cupy_var_takes_ddof_as_the_wrapper_assumes() -> None:
    import inspect

    cupy = pytest.importorskip("cupy", reason="cupy is not installed (the signature needs cupy, not a GPU)")
    assert {"axis", "ddof", "keepdims"} <= set(inspect.signature(cupy.var).parameters)
    assert {"axis", "ddof", "keepdims"} <= set(inspect.signature(cupy.std).parameters)
