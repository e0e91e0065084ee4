"""Finding, importing and checking CuPy: everything ``CupyBackend.is_available`` needs.

Kept apart from the backend so that each reason for "unusable" is one small, testable function:
cupy not installed, cupy too old, several cupy wheels installed at once, no device, a driver error.
"""
from __future__ import annotations

import importlib.util
import os
import re
import warnings
from typing import Any, Iterable

#: the oldest cupy whose main namespace follows the array API standard (it mirrors NumPy 2's)
MIN_CUPY = (14, 0)
INSTALL_HINT = "pip install dezero-cupy[cuda12] (CUDA 12 driver) or dezero-cupy[cuda13] (CUDA 13 driver)"

# The distributions that all install the same top-level ``cupy`` package: the source build
# ("cupy"), the CUDA wheels ("cupy-cuda12x", older "cupy-cuda112") and the ROCm wheels.
_CUPY_DIST = re.compile(r"^cupy(-cuda\d+x?|-rocm-[\d-]+)?$")


def _normalize(name: str) -> str:
    """A distribution name in its canonical form (PEP 503): ``CuPy_CUDA12x`` -> ``cupy-cuda12x``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def cupy_distributions(names: Iterable[str] | None = None) -> list[str]:
    """The CuPy distributions among ``names`` (default: every installed distribution), sorted."""
    if names is None:
        import importlib.metadata  # here, not at the top: it costs 30 ms, and only an installed cupy needs it

        names = (d.metadata["Name"] or "" for d in importlib.metadata.distributions())
    return sorted({_normalize(n) for n in names if _CUPY_DIST.match(_normalize(n))})


def conflict_message(names: Iterable[str] | None = None) -> str | None:
    """A warning text when more than one CuPy distribution is installed, else None."""
    found = cupy_distributions(names)
    if len(found) < 2:
        return None
    return (f"several CuPy distributions are installed ({', '.join(found)}): they write the same "
            f"'cupy' package, so which one runs is undefined. Keep the one that matches your "
            f"driver (nvidia-smi shows its CUDA version) and uninstall the others, e.g. "
            f"pip uninstall {found[0]}")


def import_cupy() -> Any:
    """Import cupy (and cupyx) and check that it is recent enough; raises ImportError saying why not."""
    if importlib.util.find_spec("cupy") is None:  # cheap: nothing is imported
        raise ImportError(f"cupy is not installed: {INSTALL_HINT}")
    conflict = conflict_message()
    if conflict is not None:
        warnings.warn(conflict, RuntimeWarning, stacklevel=2)
    import cupy
    import cupyx  # noqa: F401  (scatter_add lives there)

    check_version(cupy.__version__)
    return cupy


def check_version(version: str) -> None:
    """Raise ImportError when cupy ``version`` is older than :data:`MIN_CUPY`."""
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if numbers < MIN_CUPY:
        raise ImportError(f"cupy {version} is too old: dezero-cupy needs cupy >= "
                          f"{'.'.join(map(str, MIN_CUPY))} (whose main namespace follows the array API "
                          f"standard): pip install -U dezero-cupy[cuda12] (or [cuda13])")


def check_device(cupy: Any) -> int:
    """Check that cupy can allocate and compute on a GPU; return the number of devices.

    Raises RuntimeError saying exactly why not: no device, or the driver's own error text.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    hint = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, a driver too old, no device
        text = f"{type(exc).__name__}: {exc}"
        if "NoDevice" in text:
            raise RuntimeError(f"no CUDA device: {text}{hint}") from exc
        raise RuntimeError(f"the CUDA driver failed: {text}{hint}") from exc
    if count == 0:
        raise RuntimeError(f"no CUDA device: the CUDA runtime sees 0 GPUs{hint}")
    try:
        # A tiny allocation and one kernel: catches a wheel built for a newer driver, a GPU
        # architecture without kernels in this wheel, or NVRTC missing, before any real work.
        probe = cupy.zeros(1, dtype=cupy.float32)
        probe += 1
        cupy.cuda.Device().synchronize()
    except Exception as exc:
        raise RuntimeError(f"the current CUDA device is not usable: {type(exc).__name__}: {exc}") from exc
    return count
