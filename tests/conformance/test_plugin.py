"""The conformance suite's pytest plugin, run in a child pytest session against fake plugins.

A fake plugin module registers, in that child process only: a backend that is installed but has no
device, a backend without float64, functions with a wrong backward, a float32 output promoted to
float64 or a backward that leaves the graph, a function drawing random numbers, a function of a
list of arrays, and a function without samples. The tests check that the suite reports each the way a backend or plugin author needs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FAKE_PLUGINS = '''
import dezero_core.functions
import dezero_core.random
from dezero_core.backend import ArrayBackend
from dezero_core.discovery import registry
from dezero_core.graph.function import Function
from dezero_core.functions.spec import Arg, checked
from dezero_numpy import NumpyBackend


class NoDeviceBackend(ArrayBackend):
    name = "nodevice"

    def _load(self):
        raise RuntimeError("no CUDA device (CUDARuntimeError: cudaErrorNoDevice)")


class SinglePrecisionBackend(NumpyBackend):
    name = "single"
    unsupported = {"float64": "this device has no double precision"}


class WrongSin(Function):
    def forward(self, xp, x):
        return xp.sin(x)

    def backward(self, xp, xs, y, gy):
        return gy * xp.sin(xs[0])  # the bug: the derivative of sin is cos


@checked((Arg((2, 3)),), (Arg((9, 9)),), reference=lambda np, x: np.sin(x))
def wrong_sin(x):
    return WrongSin()(x)


class PromotingSquare(Function):
    def forward(self, xp, x):
        return x * xp.asarray(x, dtype=xp.float64)  # the bug: a float64 constant promotes float32

    def backward(self, xp, xs, y, gy):
        return 2 * gy * xs[0]


@checked((Arg((2, 3)),), reference=lambda np, x: x * x)
def promoting_square(x):
    return PromotingSquare()(x)


class DetachedSin(Function):
    def forward(self, xp, x):
        return xp.sin(x)

    def backward(self, xp, xs, y, gy):
        x = getattr(xs[0], "data", xs[0])  # the bug: leaves the graph, so no second derivative
        return gy * xp.cos(x)


@checked((Arg((2, 3)),), reference=lambda np, x: np.sin(x), double_grad=True)
def detached_sin(x):
    return DetachedSin()(x)


class NoisyScale(Function):
    def forward(self, xp, x):
        self.noise = dezero_core.random.get_generator(xp.backend).uniform(0.5, 1.5, x.shape, x.dtype)
        return x * self.noise

    def backward(self, xp, xs, y, gy):
        return gy * self.noise


@checked((Arg((2, 3)),), random=True)
def noisy_scale(x):
    return NoisyScale()(x)


@checked(([Arg((2, 3)), Arg((2, 2))],), reference=lambda np, xs: np.concatenate(xs, axis=1),
         double_grad=True)
def joined(xs):
    return dezero_core.functions.concat(xs, axis=1)


def unchecked(x):
    return x


registry("dezero.backends").register("nodevice", NoDeviceBackend)
registry("dezero.backends").register("single", SinglePrecisionBackend)
registry("dezero.functions").register("wrong_sin", wrong_sin)
registry("dezero.functions").register("promoting_square", promoting_square)
registry("dezero.functions").register("detached_sin", detached_sin)
registry("dezero.functions").register("noisy_scale", noisy_scale)
registry("dezero.functions").register("joined", joined)
registry("dezero.functions").register("unchecked", unchecked)
'''


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """A child pytest session with the fake plugins importable as ``-p fake_plugins``."""
    (tmp_path / "fake_plugins.py").write_text(FAKE_PLUGINS)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DEZERO_PLUGIN_ERRORS": "raise"}
    env.pop("DEZERO_BACKEND", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    """One child run of the suite over every backend, narrowed to the fake plugins' tests."""
    return run_pytest(tmp_path_factory.mktemp("suite"), "-p", "fake_plugins", "--pyargs",
                      "dezero_core.testing", "--dezero-backend=all", "-rfs", "-v", "-k",
                      "test_is_available or wrong_sin or promoting or detached or noisy or joined or unchecked "
                      "or (test_forward and float64-sin-)")


def test_unusable_backend_is_skipped_with_its_reason(suite: subprocess.CompletedProcess) -> None:
    assert "test_is_available[nodevice] SKIPPED" in suite.stdout
    assert "nodevice: RuntimeError: no CUDA device (CUDARuntimeError: cudaErrorNoDevice)" in suite.stdout


def test_summary_lists_unusable_backends(suite: subprocess.CompletedProcess) -> None:
    assert "nodevice: not run, unusable: RuntimeError: no CUDA device" in suite.stdout


def test_unsupported_dtype_is_skipped_and_listed_per_backend(suite: subprocess.CompletedProcess) -> None:
    assert "test_forward[single-float64-sin-(2, 3)] SKIPPED" in suite.stdout
    summary = suite.stdout.split("dezero backends")[1]
    assert "skipped: single does not support float64: this device has no double precision" in summary


def test_wrong_backward_fails_with_a_readable_id(suite: subprocess.CompletedProcess) -> None:
    assert "test_functions.py::test_backward[numpy-float32-wrong_sin-(2, 3)] FAILED" in suite.stdout
    assert "test_forward[numpy-float32-wrong_sin-(2, 3)] PASSED" in suite.stdout


def test_large_input_is_differentiated_at_sampled_elements(suite: subprocess.CompletedProcess) -> None:
    assert "test_functions.py::test_backward[numpy-float64-wrong_sin-(9, 9)] FAILED" in suite.stdout
    assert "(at the 64 sampled flat indices [" in suite.stdout


def test_float32_promoted_to_float64_fails(suite: subprocess.CompletedProcess) -> None:
    assert "test_functions.py::test_forward[numpy-float32-promoting_square-(2, 3)] FAILED" in suite.stdout
    assert "promoting_square turned float32 inputs into a float64 output 0" in suite.stdout
    assert "test_functions.py::test_forward[numpy-float64-promoting_square-(2, 3)] PASSED" in suite.stdout


def test_backward_that_leaves_the_graph_fails_the_second_derivative(suite: subprocess.CompletedProcess) -> None:
    assert "test_functions.py::test_backward[numpy-float64-detached_sin-(2, 3)] PASSED" in suite.stdout
    assert "test_functions.py::test_double_backward[numpy-float64-detached_sin-(2, 3)] FAILED" in suite.stdout


def test_random_function_is_reseeded_before_every_evaluation(suite: subprocess.CompletedProcess) -> None:
    assert "test_functions.py::test_backward[numpy-float32-noisy_scale-(2, 3)] PASSED" in suite.stdout
    assert "test_functions.py::test_backward[strict-float64-noisy_scale-(2, 3)] PASSED" in suite.stdout


def test_numpy_without_a_reference_skips_the_forward_comparison(suite: subprocess.CompletedProcess) -> None:
    assert "test_forward[numpy-float32-noisy_scale-(2, 3)] SKIPPED" in suite.stdout
    assert "noisy_scale: no independent reference to compare the numpy backend with" in suite.stdout


def test_a_list_of_arrays_is_checked_array_by_array(suite: subprocess.CompletedProcess) -> None:
    for test in ("test_forward", "test_backward", "test_double_backward"):
        assert f"{test}[strict-float32-joined-[(2, 3),(2, 2)]] PASSED" in suite.stdout


def test_function_without_samples_fails(suite: subprocess.CompletedProcess) -> None:
    assert "test_functions.py::test_declares_samples[unchecked] FAILED" in suite.stdout
    assert "declare samples with @checked" in suite.stdout


def test_usable_backends_pass(suite: subprocess.CompletedProcess) -> None:
    assert "test_is_available[numpy] PASSED" in suite.stdout
    assert "test_forward[numpy-float64-sin-(2, 3)] PASSED" in suite.stdout


def test_unknown_backend_is_a_usage_error_listing_the_installed(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "--pyargs", "dezero_core.testing", "--dezero-backend=nope")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "no backend named 'nope' is installed; installed: " in result.stderr
    assert "numpy" in result.stderr


def test_sessions_without_the_fixture_are_untouched(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(textwrap.dedent('''
        import sys

        def test_plain():
            assert "numpy" not in sys.modules  # the plugin imported no array library
    '''))
    result = run_pytest(tmp_path, "test_plain.py")
    assert result.returncode == 0, result.stdout
    assert "dezero backends" not in result.stdout
