"""Without a usable GPU: cupy is reported unusable with the reason, and everything falls back or says so.

Every path that puts data on the GPU (Variable, Layer, DataLoader, Trainer) goes through
``get_backend("cupy")``, so each fails with the same message naming why and what to install.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from dezero_core import BackendError, Variable, get_backend
from dezero_core.backend import auto_backend

UNUSABLE = "backend 'cupy' is installed but unusable: "
PIP = "pip install dezero-cupy[cuda12]"


@pytest.fixture
def no_cupy(no_gpu):
    """The cupy backend where cupy itself is not installed (the CI machines)."""
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("cupy is installed here (without a usable device): the not-installed reason cannot be observed")
    return no_gpu


def test_is_available_is_false_without_cupy(no_cupy) -> None:
    assert no_cupy.is_available() is False


def test_reason_names_the_pip_command(no_cupy) -> None:
    reason = no_cupy.unavailable_reason
    assert reason.startswith("ImportError: cupy is not installed: ")
    assert PIP in reason and "dezero-cupy[cuda13]" in reason


def test_auto_selection_falls_back_to_numpy(no_gpu) -> None:
    assert auto_backend().name == "numpy"


def test_get_backend_says_cupy_is_unusable_and_why(no_gpu) -> None:
    with pytest.raises(BackendError) as info:
        get_backend("cupy")
    message = str(info.value)
    assert message.startswith(UNUSABLE + no_gpu.unavailable_reason)
    assert "numpy" in message  # the installed alternatives are listed


def test_xp_of_an_unusable_backend_says_why(no_gpu) -> None:
    with pytest.raises(RuntimeError, match="backend 'cupy' is not usable: "):
        no_gpu.xp


@pytest.mark.parametrize("move", [lambda v: v.to_gpu(), lambda v: v.to("cupy"), lambda v: v.to("cupy:0"),
                                  lambda v: v.to_gpu(0)], ids=["to_gpu", "to-cupy", "to-cupy:0", "to_gpu-0"])
def test_moving_a_variable_to_the_gpu_fails_naming_the_reason(no_gpu, move) -> None:
    x = Variable(np.ones((2, 3), np.float32))
    with pytest.raises(BackendError, match=UNUSABLE):
        move(x)
    assert x.backend.name == "numpy"  # left where it was


def test_moving_a_layer_to_the_gpu_fails_naming_the_reason(no_gpu) -> None:
    from dezero_core.layers import Linear

    layer = Linear(4, in_size=3)
    with pytest.raises(BackendError, match=UNUSABLE):
        layer.to_gpu()
    assert layer.W.backend.name == "numpy"


def test_a_data_loader_on_the_gpu_fails_naming_the_reason(no_gpu) -> None:
    from dezero_core.data import DataLoader, Dataset

    loader = DataLoader(Dataset(np.zeros((4, 2), np.float32), np.zeros(4, np.int64)), batch_size=2)
    with pytest.raises(BackendError, match=UNUSABLE):
        loader.to_gpu()


def test_a_trainer_on_the_gpu_fails_naming_the_reason(no_gpu) -> None:
    from dezero_core import functions as F
    from dezero_core.data import DataLoader, Dataset
    from dezero_core.layers import Linear
    from dezero_core.optimizers import SGD
    from dezero_core.training import Trainer

    model = Linear(2, in_size=2)
    loader = DataLoader(Dataset(np.zeros((4, 2), np.float32), np.zeros(4, np.int64)), batch_size=2)
    with pytest.raises(BackendError, match=UNUSABLE):
        Trainer(model, F.softmax_cross_entropy, SGD().setup(model), loader, backend="cupy")
