"""Flush-to-zero of denormals through the backend's compute scope: what flushing does to float32
arithmetic, and that every scope restores the thread's previous mode (numpy backend; strict as a
backend without support; a backend written against the earlier set/get protocol)."""
from __future__ import annotations

import threading
from typing import Any, Iterator

import numpy as np
import pytest

import dezero_core as dz
from dezero_core.backend import ArrayBackend, backend_names, get_backend

#: float32 1e-39, a denormal, built from its bits: a conversion from a Python float would itself
#: be flushed if a test ran it in flushing mode
DENORMAL = np.array([0x000AE398], dtype=np.uint32).view(np.float32)
#: two normal float32 whose product, 1e-40, is denormal
TINY = np.array([1e-20], dtype=np.float32)
#: 2**30: scales the denormal to a normal number, 1.07e-30, unless the denormal is read as zero
SCALE = np.float32(2.0 ** 30)


def bits(x: np.ndarray) -> int:
    """The bits of a float32 array's first element: compared as a float, a denormal would read as
    zero in flushing mode, whatever the arithmetic produced."""
    return int(x.view(np.uint32)[0])


def exact() -> bool:
    """Whether float32 arithmetic keeps the denormals: a denormal input counts, a denormal product
    of normal numbers is not rounded to zero."""
    return bool(1.07e-30 < (DENORMAL * SCALE)[0] < 1.08e-30 and bits(TINY * TINY) != 0)


def flushed() -> bool:
    """Whether float32 arithmetic flushes: a denormal input reads as zero (x86's DAZ), a denormal
    result becomes zero (FTZ)."""
    return bits(DENORMAL * SCALE) == 0 and bits(DENORMAL + np.float32(0.0)) == 0 and bits(TINY * TINY) == 0


@pytest.fixture
def numpy_backend() -> Iterator[Any]:
    """The numpy backend, with this thread computing exactly during the test and its mode restored after."""
    from dezero_numpy import denormals

    if denormals.unsupported_reason() is not None:
        pytest.skip(denormals.unsupported_reason())
    backend = get_backend("numpy")
    with backend.compute_scope(flush_denormals=False):
        yield backend


def test_the_exact_mode_keeps_denormals_and_is_reported(numpy_backend: Any) -> None:
    from dezero_numpy.denormals import is_flushing

    assert exact()
    assert is_flushing() is False


def test_compute_scope_flushes_float32_denormals_and_restores_exact_arithmetic_after(numpy_backend: Any) -> None:
    from dezero_numpy.denormals import is_flushing

    with numpy_backend.compute_scope() as supported:
        assert supported is True
        assert flushed()
        assert is_flushing() is True
    assert is_flushing() is False
    assert exact()


def test_flushing_denormals_flushes_on_the_current_backend(numpy_backend: Any) -> None:
    with dz.using_backend("numpy"), dz.flushing_denormals() as supported:
        assert supported is True
        assert flushed()
    assert exact()


def test_flushing_denormals_restores_the_mode_when_the_block_raises(numpy_backend: Any) -> None:
    with pytest.raises(KeyError, match="inside"):
        with dz.flushing_denormals(backend="numpy"):
            raise KeyError("inside")
    assert exact()


def test_an_exact_block_inside_a_flushing_one_restores_flushing(numpy_backend: Any) -> None:
    with dz.flushing_denormals(backend="numpy"):
        with dz.flushing_denormals(False, backend="numpy") as supported:
            assert supported is True
            assert exact()
        assert flushed()
        with numpy_backend.compute_scope():  # nested in a flushing block: nothing to change or restore
            assert flushed()
        assert flushed()
    assert exact()


def test_flushing_denormals_as_a_decorator_flushes_each_call(numpy_backend: Any) -> None:
    @dz.flushing_denormals(backend="numpy")
    def probe() -> bool:
        return flushed()

    assert probe() and probe()
    assert exact()


def test_flushing_is_per_thread(numpy_backend: Any) -> None:
    from dezero_numpy.denormals import is_flushing

    started, go, seen = threading.Event(), threading.Event(), []

    def other_thread() -> None:
        started.set()
        go.wait()
        seen.append((is_flushing(), exact()))

    thread = threading.Thread(target=other_thread)
    thread.start()
    started.wait()
    with dz.flushing_denormals(backend="numpy"):
        go.set()  # the thread was running before this one started flushing
        thread.join()
    assert seen == [(False, True)]


@pytest.mark.skipif("strict" not in backend_names(), reason="needs the strict test backend (dezero-strict)")
def test_a_backend_without_support_yields_false_and_changes_nothing(numpy_backend: Any) -> None:
    with dz.flushing_denormals(backend="strict") as supported:
        assert supported is False
        assert exact()  # the same thread computes, and it was not switched


class LegacyBackend(ArrayBackend):
    """A backend written against the protocol before ``compute_scope``: it sets and reads the mode."""

    name = "legacy"

    def __init__(self, supported: bool) -> None:
        super().__init__()
        self.supported, self.mode, self.calls = supported, False, []

    def set_flush_denormal(self, enabled: bool) -> bool:
        self.calls.append(enabled)
        if self.supported:
            self.mode = enabled
        return self.supported

    def get_flush_denormal(self) -> bool:
        return self.mode


def test_a_backend_with_the_earlier_set_get_pair_gets_a_scope_of_them() -> None:
    legacy = LegacyBackend(supported=True)
    with pytest.raises(KeyError):
        with dz.flushing_denormals(backend=legacy) as supported:
            assert supported is True and legacy.mode is True
            raise KeyError("inside")
    assert legacy.mode is False and legacy.calls == [True, False]


def test_a_backend_whose_earlier_set_refuses_is_left_alone() -> None:
    legacy = LegacyBackend(supported=False)
    with legacy.compute_scope() as supported:
        assert supported is False
    assert legacy.calls == [True]  # asked once, nothing to restore


@pytest.mark.parametrize("platform, machine", [("darwin", "arm64"), ("win32", "AMD64"), ("linux", "riscv64")])
def test_the_numpy_backend_reports_other_platforms_unsupported(monkeypatch: pytest.MonkeyPatch, platform: str,
                                                               machine: str) -> None:
    from dezero_numpy import denormals

    monkeypatch.setattr(denormals.sys, "platform", platform)
    monkeypatch.setattr(denormals.os, "uname", lambda: type("uname", (), {"machine": machine})(), raising=False)
    mode, reason = denormals._load()
    assert mode is None and (platform in reason or machine in reason)


def test_where_unsupported_the_numpy_scope_yields_false_without_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    from dezero_numpy import denormals

    monkeypatch.setattr(denormals, "_MODE", None)
    with get_backend("numpy").compute_scope() as supported:
        assert supported is False
        assert denormals.is_flushing() is False


@pytest.mark.skipif(__import__("platform").machine() != "x86_64", reason="FTZ without DAZ is an x86 mode")
def test_a_partial_mode_is_restored_whole(numpy_backend: Any) -> None:
    # FTZ alone (results flushed, denormal inputs still read): flushing_denormals and an optimizer
    # update switch both bits on, then put back exactly the mode they found
    from dezero_numpy import denormals

    original = tuple(denormals._MODE._read())
    mode = denormals._MODE._read()
    index = denormals.LAYOUTS["x86_64"][1]
    mode[index] = (mode[index] & ~0x8040) | 0x8000
    denormals._MODE.restore(tuple(mode))
    try:
        found = tuple(denormals._MODE._read())
        with dz.flushing_denormals(backend="numpy"):
            assert denormals.is_flushing() is True
        assert tuple(denormals._MODE._read()) == found

        from dezero_core.layers import Linear
        from dezero_core.optimizers import Adam

        layer = Linear(2, in_size=3)
        for p in layer.params():
            p.grad = np.ones(p.shape, dtype=np.float32)
        Adam().setup(layer).update()
        # (the arithmetic may raise MXCSR's sticky exception flags, bits 0-5: not part of the mode)
        assert denormals._MODE._read()[index] & ~0x3F == found[index] & ~0x3F
    finally:
        # the thread's mode outlives the test: FTZ left on flushed every later test's denormals
        # (tests/static/test_update_node.py failed after this one where no torch test cleared it)
        denormals._MODE.restore(original)
