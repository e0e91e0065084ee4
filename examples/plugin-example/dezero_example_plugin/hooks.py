"""Behaviour hooks (the contract is ``dezero_core/hookspecs.py``), registered under ``dezero.plugins``.

They add the configuration flag ``example_report``; inside ``using_config("example_report", True)``
every Trainer epoch prints its record.
"""
from __future__ import annotations

from typing import Any

from dezero_core import get_config, hookimpl


@hookimpl
def dezero_configure(register_flag: Any) -> None:
    """Declare the ``example_report`` flag (off by default)."""
    register_flag("example_report", False)


@hookimpl
def dezero_epoch_end(epoch: int, record: dict[str, float]) -> None:
    """Print the epoch's record when ``example_report`` is on."""
    if get_config("example_report"):
        values = ", ".join(f"{key}={value:.4g}" for key, value in sorted(record.items()))
        print(f"[dezero-example-plugin] epoch {epoch}: {values}")
