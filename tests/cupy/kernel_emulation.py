"""CuPy elementwise kernel bodies run on the CPU: an EMULATION of the CUDA, for tests without a GPU.

The kernel bodies of :mod:`dezero_cupy.kernel_source` (the exact text CuPy compiles) are translated
statement by statement into Python and run once per element ``i``, as CuPy's elementwise loop does.
Index arithmetic has C's integer semantics (:class:`CInt`: ``/`` truncates, ``%`` takes the
dividend's sign, intermediates are bounded); floating-point values are numpy scalars of the kernel's
type ``T``, so each operation rounds as the GPU's IEEE operations do (float16: computed in float and
rounded, as cupy's ``float16`` does) provided the CUDA is compiled without contraction into fused
multiply-adds.

What this cannot check: that the CUDA compiles and runs on a device, CuPy's argument passing and
launch, and the GPU's own arithmetic. Those are tests/cupy/test_cupy_gpu.py's (they need a GPU).
No cupy is imported here.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np


class CInt(int):
    """An integer of the kernel's index type ``I``: C division and remainder, bounded magnitude."""

    bound = 2**31 - 1

    @classmethod
    def of(cls, value: int) -> "CInt":
        if abs(value) > cls.bound:
            raise OverflowError(f"index intermediate {value} exceeds {cls.bound}")
        return cls(value)

    def __add__(self, o): return CInt.of(int(self) + int(o))
    def __radd__(self, o): return CInt.of(int(o) + int(self))
    def __sub__(self, o): return CInt.of(int(self) - int(o))
    def __rsub__(self, o): return CInt.of(int(o) - int(self))
    def __mul__(self, o): return CInt.of(int(self) * int(o))
    def __rmul__(self, o): return CInt.of(int(o) * int(self))

    def __truediv__(self, o):  # C: truncation toward zero
        q = abs(int(self)) // abs(int(o))
        return CInt.of(q if (int(self) < 0) == (int(o) < 0) else -q)

    def __mod__(self, o):  # C: a == (a / b) * b + a % b
        return CInt.of(int(self) - int(self / o) * int(o))


class Raw:
    """A ``raw`` kernel argument: a flat array whose reads must stay inside it (C would not say so)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array.reshape(-1)

    def __getitem__(self, k: int):
        if not 0 <= k < self.array.size:
            raise IndexError(f"the kernel reads element {k} of a {self.array.size}-element array")
        return self.array[k]


def translate(body: str, args: str = "i") -> str:
    """The C statements of a kernel body as a Python function ``element(args)`` (only the constructs
    these kernels use); the caller appends its ``return``."""
    lines, depth = [], 1
    for raw in body.splitlines():
        line = raw.split("//")[0].strip()
        if not line:
            continue
        if line == "}":
            depth -= 1
            continue
        line = re.sub(r"\((I|T)\)(\w+)", r"\1(\2)", line).replace("&&", " and ").replace("||", " or ")
        if m := re.fullmatch(r"for \(I (\w+) = 0; \1 < (\w+); \+\+\1\) \{", line):
            lines.append("    " * depth + f"for {m[1]} in map(CInt.of, range({m[2]})):")
            depth += 1
            continue
        if m := re.fullmatch(r"if \((.*)\) continue;", line):
            lines.append("    " * depth + f"if {m[1]}: continue")
            continue
        m = re.fullmatch(r"(?:const )?(?:(I|T) )?(\w+) = (.*);", line)
        assert m, f"a statement the translation does not know: {line!r}"
        cast, name, value = m.groups()
        if t := re.fullmatch(r"\((.*)\) \? (.*) : (.*)", value):
            value = f"({t[2]}) if ({t[1]}) else ({t[3]})"
        lines.append("    " * depth + f"{name} = {f'{cast}({value})' if cast else value}")
    return f"def element({args}):\n" + "\n".join(lines)


def run(kernel: tuple, arrays: dict, scalars: dict, out_size: int, dtype) -> np.ndarray:
    """Launch-by-loop of a kernel with one fresh output: the body once per ``i`` in ``range(out_size)``."""
    out_name = kernel[1].split()[-1]
    env = {"CInt": CInt, "I": CInt.of, "T": np.dtype(dtype).type, **arrays,
           **{k: CInt.of(v) if isinstance(v, int) else v for k, v in scalars.items()}}
    source = translate(kernel[2]) + f"\n    return {out_name}"
    exec(source, env)  # noqa: S102  (our own kernel text, translated above)
    return np.array([env["element"](CInt.of(i)) for i in range(out_size)], dtype=dtype)


def _names(params: str) -> list[str]:
    return [p.split()[-1] for p in params.split(",")]


def run_in_place(kernel: tuple, arrays: dict[str, np.ndarray], scalars: dict[str, Any]) -> None:
    """Launch-by-loop of an elementwise kernel whose outputs are existing arrays, updated in place.

    ``arrays``: every output and each array input, all of one shape (CuPy would broadcast); each is
    bound, element by element, to its parameter name, as CuPy binds ``T &m = _raw_m[...]``.
    ``scalars``: the other inputs, already of the kernel's types (numpy scalars).
    """
    in_params, out_params, body, _ = kernel
    elementwise = [n for n in _names(in_params) if n in arrays] + _names(out_params)
    dtype = arrays[_names(out_params)[0]].dtype
    env = {"T": dtype.type, "sqrt": np.sqrt, **scalars}
    exec(translate(body, ", ".join(elementwise)) + f"\n    return {', '.join(_names(out_params))}", env)  # noqa: S102
    for index in np.ndindex(arrays[elementwise[0]].shape):
        results = env["element"](*(arrays[n][index] for n in elementwise))
        for name, value in zip(_names(out_params), results):
            arrays[name][index] = value
