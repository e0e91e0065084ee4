"""Configuration flags kept per thread and per async context.

The book keeps ``Config.enable_backprop`` as a mutable class attribute, which leaks between threads
and coroutines. Here every flag is a :class:`contextvars.ContextVar`: a ``with no_grad():`` in one
thread or task is invisible to the others, and a new thread starts from the defaults.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any, Iterator

ENABLE_BACKPROP: ContextVar[bool] = ContextVar("enable_backprop", default=True)
TRAIN: ContextVar[bool] = ContextVar("train", default=True)

_FLAGS: dict[str, ContextVar[Any]] = {"enable_backprop": ENABLE_BACKPROP, "train": TRAIN}


def register_flag(name: str, default: Any) -> ContextVar[Any]:
    """Declare a new configuration flag (for plugins); returns its context variable."""
    if name in _FLAGS:
        raise ValueError(f"configuration flag {name!r} is already registered")
    _FLAGS[name] = ContextVar(name, default=default)
    return _FLAGS[name]


def _flag(name: str) -> ContextVar[Any]:
    if name not in _FLAGS:  # plugins declare flags when they are loaded: load them, then look again
        from dezero_core.plugin_manager import get_plugin_manager

        get_plugin_manager()
    try:
        return _FLAGS[name]
    except KeyError:
        raise KeyError(f"unknown configuration flag {name!r}; known flags: {', '.join(sorted(_FLAGS))}") from None


def get_config(name: str) -> Any:
    """Return the current value of the configuration flag ``name``."""
    return _flag(name).get()


@contextlib.contextmanager
def using_config(name: str, value: Any) -> Iterator[None]:
    """Set the flag ``name`` to ``value`` inside the ``with`` block (this thread/context only)."""
    var = _flag(name)
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Compute without recording the graph: no function keeps its inputs for backward."""
    return using_config("enable_backprop", False)


def test_mode() -> contextlib.AbstractContextManager[None]:
    """Run layers in inference behaviour (dropout off, batch norm uses running statistics)."""
    return using_config("train", False)


test_mode.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


def is_training() -> bool:
    """Whether layers should behave as in training (the ``train`` flag)."""
    return TRAIN.get()
