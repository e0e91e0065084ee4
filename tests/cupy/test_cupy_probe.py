"""Why cupy is unusable, reason by reason, on fakes of cupy's import and runtime (no GPU needed).

These check dezero-cupy's own logic (which message for which failure); they never stand in for a
GPU result: the numerics are checked by the conformance suite on a real device.
"""
from __future__ import annotations

import sys
import textwrap
import types
import warnings

import pytest

from dezero_cupy import CupyBackend, probe

CONFLICT_MESSAGE = probe.conflict_message


# -- several cupy wheels at once ----------------------------------------------------------------
def test_both_cuda_wheels_are_detected() -> None:
    names = ["numpy", "cupy-cuda12x", "pluggy", "cupy-cuda13x"]
    assert probe.cupy_distributions(names) == ["cupy-cuda12x", "cupy-cuda13x"]


def test_distribution_names_are_compared_in_canonical_form() -> None:
    assert probe.cupy_distributions(["CuPy_CUDA12x", "cupy.cuda13x"]) == ["cupy-cuda12x", "cupy-cuda13x"]


def test_source_build_and_rocm_wheels_count_as_cupy() -> None:
    assert probe.cupy_distributions(["cupy", "cupy-rocm-5-0"]) == ["cupy", "cupy-rocm-5-0"]


def test_packages_that_merely_start_with_cupy_do_not_count() -> None:
    assert probe.cupy_distributions(["cupyx-extras", "cupy-xarray", "dezero-cupy"]) == []


def test_one_cuda_wheel_gives_no_warning() -> None:
    assert probe.conflict_message(["cupy-cuda12x", "numpy"]) is None


def test_conflict_message_names_both_wheels_and_what_to_do() -> None:
    message = probe.conflict_message(["cupy-cuda13x", "cupy-cuda12x"])
    assert "cupy-cuda12x, cupy-cuda13x" in message
    assert "pip uninstall cupy-cuda12x" in message and "nvidia-smi" in message


def test_installed_distributions_are_read_from_metadata(monkeypatch) -> None:
    fake = [types.SimpleNamespace(metadata={"Name": n}) for n in ("cupy-cuda12x", "cupy-cuda13x", "numpy")]
    monkeypatch.setattr(probe.importlib.metadata, "distributions", lambda: iter(fake))
    assert probe.cupy_distributions() == ["cupy-cuda12x", "cupy-cuda13x"]


# -- versions -----------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["14.0.0", "14.2.0", "15.0.0rc1"])
def test_recent_cupy_is_accepted(version: str) -> None:
    probe.check_version(version)


@pytest.mark.parametrize("version", ["13.6.0", "12.3.0"])
def test_old_cupy_is_refused_with_the_upgrade_command(version: str) -> None:
    with pytest.raises(ImportError, match=rf"cupy {version} is too old: .*>= 14.*pip install -U dezero-cupy"):
        probe.check_version(version)


# -- devices ------------------------------------------------------------------------------------
class FakeRuntimeError(Exception):
    """Stands for cupy_backends.cuda.api.runtime.CUDARuntimeError."""


def fake_cupy(count=1, count_error=None, compute_error=None) -> types.SimpleNamespace:
    """A stand-in for the parts of cupy that check_device touches."""
    def get_device_count():
        if count_error is not None:
            raise count_error
        return count

    class Probe:
        def __iadd__(self, other):
            if compute_error is not None:
                raise compute_error
            return self

    device = types.SimpleNamespace(synchronize=lambda: None)
    cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count),
                                 Device=lambda: device)
    return types.SimpleNamespace(cuda=cuda, float32="float32", zeros=lambda shape, dtype: Probe())


def test_a_working_device_is_counted() -> None:
    assert probe.check_device(fake_cupy(count=2)) == 2


def test_zero_devices_is_no_cuda_device(monkeypatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with pytest.raises(RuntimeError, match="^no CUDA device: the CUDA runtime sees 0 GPUs$"):
        probe.check_device(fake_cupy(count=0))


def test_no_device_error_is_no_cuda_device_with_the_runtime_text(monkeypatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    error = FakeRuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    with pytest.raises(RuntimeError, match="^no CUDA device: FakeRuntimeError: cudaErrorNoDevice: no CUDA-capable"):
        probe.check_device(fake_cupy(count_error=error))


def test_hidden_devices_are_mentioned(monkeypatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(RuntimeError, match=r"0 GPUs \(CUDA_VISIBLE_DEVICES=''\)"):
        probe.check_device(fake_cupy(count=0))


def test_driver_error_keeps_the_driver_text(monkeypatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    error = FakeRuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA "
                             "runtime version")
    with pytest.raises(RuntimeError, match="^the CUDA driver failed: FakeRuntimeError: cudaErrorInsufficientDriver"):
        probe.check_device(fake_cupy(count_error=error))


def test_a_device_that_cannot_compute_is_unusable_with_the_error_text() -> None:
    error = FakeRuntimeError("cudaErrorNoKernelImageForDevice: no kernel image is available")
    with pytest.raises(RuntimeError, match="^the current CUDA device is not usable: FakeRuntimeError: "
                                           "cudaErrorNoKernelImageForDevice"):
        probe.check_device(fake_cupy(compute_error=error))


# -- the whole probe, on a fake cupy package -----------------------------------------------------
@pytest.fixture
def installed_fake_cupy(tmp_path, monkeypatch):
    """Install a fake ``cupy`` package (source given by the test) ahead of any real one."""
    for name in [m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx")]:
        monkeypatch.delitem(sys.modules, name)  # a real cupy comes back when the test ends
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "cupyx").mkdir()
    (tmp_path / "cupyx" / "__init__.py").write_text("")
    monkeypatch.setattr(probe, "conflict_message", lambda names=None: None)

    def install(source: str) -> None:
        (tmp_path / "cupy").mkdir()
        (tmp_path / "cupy" / "__init__.py").write_text(textwrap.dedent(source))

    yield install
    for name in [m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx")]:
        del sys.modules[name]  # the fakes; monkeypatch then restores whatever was there before


def test_backend_with_an_old_cupy_is_unusable_naming_the_version(installed_fake_cupy) -> None:
    installed_fake_cupy('__version__ = "13.6.0"\n')
    backend = CupyBackend()
    assert not backend.is_available()
    assert backend.unavailable_reason.startswith("ImportError: cupy 13.6.0 is too old")


def test_backend_without_a_device_is_unusable_saying_no_cuda_device(installed_fake_cupy, monkeypatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    installed_fake_cupy("""
        import types
        __version__ = "14.2.0"
        cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 0))
    """)
    backend = CupyBackend()
    assert not backend.is_available()
    assert backend.unavailable_reason == "RuntimeError: no CUDA device: the CUDA runtime sees 0 GPUs"


def test_probe_warns_when_two_cupy_wheels_are_installed(installed_fake_cupy, monkeypatch) -> None:
    installed_fake_cupy('__version__ = "13.0.0"\n')
    monkeypatch.setattr(probe, "conflict_message", CONFLICT_MESSAGE)  # the real one, on fake metadata
    fake = [types.SimpleNamespace(metadata={"Name": n}) for n in ("cupy-cuda13x", "numpy", "cupy-cuda12x")]
    monkeypatch.setattr(probe.importlib.metadata, "distributions", lambda: iter(fake))
    with pytest.warns(RuntimeWarning, match="several CuPy distributions are installed "
                                            r"\(cupy-cuda12x, cupy-cuda13x\)"):
        CupyBackend().is_available()


def test_one_cupy_wheel_gives_no_warning_at_probe(installed_fake_cupy) -> None:
    installed_fake_cupy('__version__ = "13.0.0"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CupyBackend().is_available()
