"""Moving arrays between backends and devices."""
from __future__ import annotations

from typing import Any

from dezero_core.backend.selection import backend_of, get_backend


def move_array(array: Any, target: str, device: Any = None) -> Any:
    """``array`` on backend ``target`` (``"name"`` or ``"name:device"``), copied only when needed."""
    if isinstance(target, str) and ":" in target and device is None:
        target, device = target.split(":", 1)
    destination = get_backend(target)
    source = backend_of(array)
    if source is destination:
        return destination.to_device(array, _resolve_device(destination, device))
    moved = destination.from_host(source.to_host(array))
    return destination.to_device(moved, _resolve_device(destination, device))


def _resolve_device(backend: Any, device: Any) -> Any:
    """A device object of ``backend`` from its name, its index or the device itself."""
    if device is None or not isinstance(device, (str, int)):
        return device
    for d in backend.devices():
        if str(d) == str(device) or getattr(d, "id", None) == device or repr(d) == str(device) \
                or str(device) in str(d):
            return d
    raise ValueError(f"backend {backend.name!r} has no device {device!r}; its devices: "
                     f"{', '.join(map(str, backend.devices()))}")
