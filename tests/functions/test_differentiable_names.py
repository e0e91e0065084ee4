"""The array-API names a backward may call under create_graph resolve to differentiable functions."""
from __future__ import annotations

from typing import Any

import pytest

from dezero_core import functions as F
from dezero_core.backend.ops import DifferentiableOps

NAMES = ["abs", "clip", "concat", "erf", "expand_dims", "max", "maximum", "mean", "min", "minimum",
         "sqrt", "squeeze", "stack", "std", "var", "where"]


@pytest.mark.parametrize("name", NAMES)
def test_name_maps_to_the_function_of_that_name(name: str, dezero_backend: Any) -> None:
    assert getattr(DifferentiableOps(dezero_backend), name) is getattr(F, name)


def test_erf_is_a_backend_extra_on_raw_arrays(dezero_backend: Any, put: Any, host: Any) -> None:
    assert host(dezero_backend.ops.erf(put([0.0]))) == 0.0


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool"])
def test_dtypes_are_the_backends_own_objects(name: str, dezero_backend: Any) -> None:
    # numpy's dtypes are callable types: wrapped as constant-making functions, xp.astype(x, xp.float32)
    # under create_graph would get a function for a dtype
    assert getattr(DifferentiableOps(dezero_backend), name) is getattr(dezero_backend.xp, name)

