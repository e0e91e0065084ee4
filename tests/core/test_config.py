"""no_grad, test_mode and using_config: scoped, and kept per thread and per asyncio task."""
from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import Variable, functions as F
from dezero_core.config import register_flag

X = np.array([0.5, -1.0, 2.0])


def test_no_grad_records_no_graph(put) -> None:
    x = Variable(put(X))
    with dz.no_grad():
        y = F.sin(x)
    assert y.creator is None
    assert not y.requires_grad


def test_recording_resumes_after_no_grad(put) -> None:
    x = Variable(put(X))
    with dz.no_grad():
        pass
    assert F.sin(x).creator is not None


def test_no_grad_is_undone_when_its_block_raises() -> None:
    with pytest.raises(KeyError):
        with dz.no_grad():
            raise KeyError("inside")
    assert dz.get_config("enable_backprop") is True


def test_test_mode_turns_training_off_inside_its_block() -> None:
    assert dz.is_training()
    with dz.test_mode():
        assert not dz.is_training()
    assert dz.is_training()


def test_using_config_sets_a_flag_inside_its_block_only() -> None:
    with dz.using_config("train", False):
        assert dz.get_config("train") is False
    assert dz.get_config("train") is True


def test_using_config_nests() -> None:
    with dz.no_grad():
        with dz.using_config("enable_backprop", True):
            assert dz.get_config("enable_backprop") is True
        assert dz.get_config("enable_backprop") is False


def test_an_unknown_flag_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown configuration flag 'enable_backpropp'.*enable_backprop.*train"):
        dz.using_config("enable_backpropp", False).__enter__()


def test_a_registered_flag_can_be_used_like_the_built_in_ones() -> None:
    register_flag("core_tests_custom_flag", 1)
    with dz.using_config("core_tests_custom_flag", 2):
        assert dz.get_config("core_tests_custom_flag") == 2
    assert dz.get_config("core_tests_custom_flag") == 1


def test_registering_a_flag_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_flag("train", True)


def _in_thread(fn):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", fn()))
    thread.start()
    thread.join()
    return result["value"]


def test_no_grad_in_one_thread_leaves_other_threads_recording() -> None:
    with dz.no_grad():
        assert _in_thread(lambda: dz.get_config("enable_backprop")) is True


def test_a_thread_records_a_graph_while_another_is_in_no_grad() -> None:
    x = Variable(np.array(X))
    with dz.no_grad():
        y = _in_thread(lambda: F.sin(x))
    assert y.creator is not None


def test_test_mode_in_one_thread_leaves_other_threads_training() -> None:
    with dz.test_mode():
        assert _in_thread(dz.is_training) is True


def test_no_grad_in_one_task_is_invisible_to_a_concurrent_task() -> None:
    async def main() -> dict[str, bool]:
        entered = asyncio.Event()
        seen: dict[str, bool] = {}

        async def in_no_grad() -> None:
            with dz.no_grad():
                entered.set()
                await asyncio.sleep(0.01)  # let the other task run while this one is inside
                seen["inside"] = dz.get_config("enable_backprop")

        async def beside() -> None:
            await entered.wait()
            seen["beside"] = dz.get_config("enable_backprop")

        await asyncio.gather(in_no_grad(), beside())
        return seen

    assert asyncio.run(main()) == {"inside": False, "beside": True}
