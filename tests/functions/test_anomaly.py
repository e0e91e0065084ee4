"""detect_anomaly(): the first nan/inf in forward or backward names the function and the user's line."""
from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np
import pytest

import dezero_core
from dezero_core import AnomalyError, Variable, detect_anomaly, functions as F
from dezero_core.graph.function import forward_hooks


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own divide/invalid warnings
        yield


def _line_of(marker: str) -> int:
    """The line number in this file of the line that ends with ``# <marker>``."""
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if line.rstrip().endswith(f"# {marker}"))


def test_nan_in_forward_names_the_function_and_the_calling_line(put: Any) -> None:
    x = Variable(put([1.0, -1.0]))
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        F.log(x)  # forward-nan
    message = str(info.value)
    assert message.startswith("detect_anomaly: Log produced nan in its output (shape (2,), ")
    assert "float64) in forward" in message
    assert "every input was finite, so it started here" in message
    assert f'{__file__}", line {_line_of("forward-nan")}' in message
    assert "F.log(x)  # forward-nan" in message


def test_the_user_line_is_found_through_framework_functions(put: Any) -> None:
    x = Variable(put([[0.0, 0.0]]))
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        F.std(x, axis=1, correction=2)  # through-std
    assert "Var produced nan" in str(info.value) or "Var produced inf" in str(info.value)
    assert f'line {_line_of("through-std")}' in str(info.value)


def test_inf_in_backward_names_the_function_and_its_forward_line(put: Any) -> None:
    x = Variable(put([4.0, 0.0]))
    with detect_anomaly():
        y = F.sqrt(x)  # backward-inf
        with pytest.raises(AnomalyError) as info:
            F.sum(y).backward()
    message = str(info.value)
    assert message.startswith("detect_anomaly: the backward of Sqrt produced inf in the gradient of its input 0")
    assert f'line {_line_of("backward-inf")}' in message


def test_backward_of_a_graph_built_outside_the_block_still_names_the_function(put: Any) -> None:
    x = Variable(put([0.0]))
    y = F.sqrt(x)
    with detect_anomaly(), pytest.raises(AnomalyError, match="backward of Sqrt .* an unknown line"):
        y.backward()


def test_nan_that_arrives_from_the_inputs_says_it_started_earlier(put: Any) -> None:
    x = Variable(put([np.nan, 1.0]))
    with detect_anomaly(), pytest.raises(AnomalyError, match="Sin produced nan .* its input 0 already held nan"):
        F.sin(x)


def test_off_by_default_and_no_hook_is_left_behind(put: Any) -> None:
    assert forward_hooks == []
    with detect_anomaly():
        assert len(forward_hooks) == 1
        with detect_anomaly():
            assert len(forward_hooks) == 1
    assert forward_hooks == []
    y = F.log(Variable(put([-1.0])))  # nan, silently, as numpy
    assert np.isnan(y.backend.to_host(y.data)).all()


def test_detect_anomaly_false_turns_it_off_inside_a_block(put: Any) -> None:
    with detect_anomaly(), detect_anomaly(False):
        F.log(Variable(put([-1.0])))


def test_the_block_is_per_thread(put: Any) -> None:
    errors = []

    def other_thread() -> None:
        try:
            F.log(Variable(put([-1.0])))
        except AnomalyError as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    with detect_anomaly():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert errors == []


def test_usable_as_a_decorator(put: Any) -> None:
    @detect_anomaly()
    def step() -> None:
        F.log(Variable(put([-1.0])))

    with pytest.raises(AnomalyError):
        step()


def test_exported_at_the_top_level() -> None:
    assert dezero_core.detect_anomaly is detect_anomaly
    assert issubclass(dezero_core.AnomalyError, FloatingPointError)
