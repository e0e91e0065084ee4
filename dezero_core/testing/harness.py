"""Running a registered function's samples on a backend: inputs, evaluations, numerical derivatives.

Everything is computed from host (numpy) inputs drawn once per sample with a stable seed. A float32
case rounds the inputs to float32 first, and the float64 references and numerical derivatives are
taken at exactly those rounded points, so a comparison measures only the backend's precision.

An input is found by its *path*: ``(i,)`` for positional argument ``i``, ``(i, j)`` for array ``j``
of a sequence argument (``concat([a, b])``).
"""
from __future__ import annotations

import contextlib
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from dezero_core.functions.spec import Arg, Check, Sample, check_of

FLOAT_DTYPES = ("float32", "float64")
#: central-difference step; every Arg.margin (0.05 by default) is far larger
STEP = 1e-6
#: the most elements of one input differentiated numerically (two evaluations each)
MAX_PROBES = 64
#: random directions along which the second derivative is checked (two evaluations each)
SECOND_ORDER_DIRECTIONS = 3

#: (rtol, atol) per kind of comparison and dtype under test; Check.rtol/atol replace both
TOLERANCES = {
    "forward": {"float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)},
    "backward": {"float32": (1e-3, 1e-4), "float64": (1e-5, 1e-7)},
    "double_backward": {"float32": (5e-3, 5e-4), "float64": (1e-4, 1e-6)},
}

Path = tuple[int, ...]


def tolerance(kind: str, dtype: str, check: Check) -> tuple[float, float]:
    """The (rtol, atol) of a ``kind`` comparison in ``dtype``, as the function's Check overrides it."""
    rtol, atol = TOLERANCES[kind][dtype]
    return (rtol if check.rtol is None else check.rtol, atol if check.atol is None else check.atol)


# -- nested arguments ---------------------------------------------------------------------------
def is_sequence_of_arrays(value: Any) -> bool:
    """A list or tuple argument holding Args (or the arrays drawn for them)."""
    return isinstance(value, (list, tuple)) and any(isinstance(v, (Arg, np.ndarray)) for v in value)


def leaves(args: Sequence[Any]) -> Iterator[tuple[Path, Any]]:
    """``(path, value)`` for every argument, looking one level into sequences of arrays."""
    for i, a in enumerate(args):
        if is_sequence_of_arrays(a):
            for j, v in enumerate(a):
                yield (i, j), v
        else:
            yield (i,), a


def map_leaves(args: Sequence[Any], fn: Callable[[Path, Any], Any]) -> list[Any]:
    """``args`` with every leaf replaced by ``fn(path, leaf)``; sequences keep their type."""
    out = []
    for i, a in enumerate(args):
        if is_sequence_of_arrays(a):
            out.append(type(a)(fn((i, j), v) for j, v in enumerate(a)))
        else:
            out.append(fn((i,), a))
    return out


def at(args: Sequence[Any], path: Path) -> Any:
    """The leaf of ``args`` at ``path``."""
    value = args[path[0]]
    return value[path[1]] if len(path) > 1 else value


def describe(path: Path) -> str:
    """``input 0`` or ``input 0[1]``, for messages."""
    return f"input {path[0]}" + "".join(f"[{p}]" for p in path[1:])


# -- cases --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One sample call of one registered function."""

    name: str
    index: int
    sample: Sample
    fn: Callable[..., Any]
    check: Check

    @property
    def id(self) -> str:
        """``sin-(2, 3)``: the readable part of a test id."""
        return f"{self.name}-{self.sample}"

    @property
    def differentiable(self) -> list[Path]:
        """Paths of the inputs that are gradient-checked."""
        return [p for p, a in leaves(self.sample.args) if isinstance(a, Arg) and a.differentiable]

    @property
    def has_float_input(self) -> bool:
        """Whether the dtype under test means anything for this sample."""
        return any(isinstance(a, Arg) and a.dtype == "float" for _, a in leaves(self.sample.args))

    def inputs(self, dtype: str) -> list[Any]:
        """Host inputs: Args drawn (seeded by function name and sample), everything else as is."""
        rng = np.random.default_rng(zlib.crc32(f"{self.name}/{self.index}".encode()))
        return map_leaves(self.sample.args, lambda _, a: _draw(rng, a, dtype) if isinstance(a, Arg) else a)

    def weights(self, arrays: Sequence[Any], salt: str = "w") -> list[np.ndarray | None]:
        """Fixed random float64 arrays shaped like the float ``arrays`` (None for the others).

        The suite checks d sum(w * y)/dx with these as ``w``, and the second derivative along them.
        """
        rng = np.random.default_rng(zlib.crc32(f"{self.name}/{self.index}/{salt}".encode()))
        return [rng.uniform(-1.0, 1.0, np.shape(a)) if np.asarray(a).dtype.kind == "f" else None
                for a in arrays]

    def directions(self, host_args: Sequence[Any], salt: str = "v") -> dict[Path, np.ndarray]:
        """A fixed random float64 array per differentiable input (one direction in input space)."""
        paths = self.differentiable
        return dict(zip(paths, self.weights([at(host_args, p) for p in paths], salt=salt)))


def cases(names: Sequence[str], load: Callable[[str], Any]) -> list[Case]:
    """Every sample of every function in ``names`` that loads and declares a Check."""
    found = []
    for name in names:
        try:
            fn = load(name)
        except Exception:  # reported by the test that every function declares a Check
            continue
        check = check_of(fn)
        if check is not None:
            found += [Case(name, i, s, fn, check) for i, s in enumerate(check.samples)]
    return found


def _draw(rng: np.random.Generator, arg: Arg, dtype: str) -> np.ndarray:
    if arg.dtype == "bool":
        return rng.random(arg.shape) < 0.5
    if arg.dtype != "float":
        return rng.integers(int(arg.low), int(arg.high), arg.shape).astype(arg.dtype)
    x = rng.uniform(arg.low, arg.high, arg.shape)
    for point in arg.away_from:
        near = np.abs(x - point) < arg.margin
        x = np.where(near, point + np.where(x >= point, arg.margin, -arg.margin), x)
    return x.astype(dtype)


def as_float64(host_args: Sequence[Any]) -> list[Any]:
    """The same inputs, each float array copied as float64 (exact: only widening)."""
    return map_leaves(host_args, lambda _, a: a.astype(np.float64)
                      if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a)


# -- evaluating on a backend ------------------------------------------------------------------------
@contextlib.contextmanager
def reseeded(check: Check) -> Iterator[None]:
    """For a random function: restart dezero_core.random from one seed, then restore the user's."""
    if not check.random:
        yield
        return
    from dezero_core import random

    saved = random.get_state()
    random.seed(0)
    try:
        yield
    finally:
        random.set_state(saved)


def call(case: Case, backend: Any, host_args: Sequence[Any]) -> tuple[dict[Path, Any], tuple[Any, ...]]:
    """Call the function on ``backend``: returns (input Variables by path, outputs).

    Differentiable inputs become Variables that need a gradient; other array inputs are passed as
    raw arrays, which the core treats as constants.
    """
    from dezero_core.backend.selection import using_backend
    from dezero_core.graph.variable import Variable

    grads = set(case.differentiable)
    variables: dict[Path, Any] = {}

    def convert(path: Path, a: Any) -> Any:
        if not isinstance(a, np.ndarray):
            return a
        a = backend.from_host(a)
        if path in grads:
            a = variables[path] = Variable(a)
        return a

    args = map_leaves(host_args, convert)
    with using_backend(backend.name), reseeded(case.check):
        out = case.fn(*args, **case.sample.kwargs)
    return variables, tuple(out) if isinstance(out, (tuple, list)) else (out,)


def data_of(y: Any) -> Any:
    """The array inside a Variable (or the array itself)."""
    return getattr(y, "data", y)


def seed_output_grads(case: Case, backend: Any, outputs: tuple[Any, ...], dtype: str) -> Any:
    """Give the outputs the gradients ``case.weights`` and return the Variable to call backward on.

    One output gets its gradient directly, so that only the function under test is involved;
    several outputs are combined as ``sum(w_k * y_k)`` with the built-in mul, sum and add.
    """
    from dezero_core import functions as F

    ws = case.weights([backend.to_host(data_of(y)) for y in outputs])
    pairs = [(y, backend.from_host(w.astype(dtype))) for y, w in zip(outputs, ws) if w is not None]
    if not pairs:
        raise AssertionError(f"{case.name} has no floating output to differentiate: declare @checked(grad=False)")
    if len(pairs) == 1:
        y, w = pairs[0]
        y.grad = w
        return y
    total = None
    for y, w in pairs:
        term = F.sum(F.mul(y, w))
        total = term if total is None else F.add(total, term)
    return total


def first_gradients(case: Case, backend: Any, host_args: Sequence[Any], dtype: str,
                    create_graph: bool = False) -> tuple[dict[Path, Any], dict[Path, Any]]:
    """Backpropagate ``case.weights`` through one call: (input Variables, their grads), by path."""
    variables, outputs = call(case, backend, host_args)
    seed_output_grads(case, backend, outputs, dtype).backward(create_graph=create_graph)
    return variables, {p: v.grad for p, v in variables.items()}


# -- numerical derivatives --------------------------------------------------------------------------
def numerical_gradients(scalar: Callable[[list[Any]], float], host_args: Sequence[Any],
                        paths: Sequence[Path]) -> list[np.ndarray]:
    """Central differences of ``scalar(args)`` w.r.t. the float64 arrays at ``paths``.

    Each costs two evaluations per element, so an input larger than MAX_PROBES is differentiated
    at MAX_PROBES elements picked at random (seeded); the others are NaN: not checked.
    """
    host_args = map_leaves(host_args, lambda _, a: a.copy() if isinstance(a, np.ndarray) else a)
    grads = []
    for path in paths:
        x = at(host_args, path)
        g = np.full(x.shape, np.nan)
        flat, gflat = x.reshape(-1), g.reshape(-1)  # views: writing flat moves x itself
        probes = range(flat.size) if flat.size <= MAX_PROBES else np.sort(
            np.random.default_rng(zlib.crc32(repr(path).encode())).choice(flat.size, MAX_PROBES, replace=False))
        for i in probes:
            original = flat[i]
            flat[i] = original + STEP
            plus = scalar(host_args)
            flat[i] = original - STEP
            minus = scalar(host_args)
            flat[i] = original
            gflat[i] = (plus - minus) / (2 * STEP)
        grads.append(g)
    return grads


def directional_derivatives(scalar: Callable[[list[Any]], float], host_args: Sequence[Any],
                            directions: Sequence[dict[Path, np.ndarray]]) -> np.ndarray:
    """Central differences of ``scalar`` along each direction: ``(s(x + h u) - s(x - h u)) / 2h``.

    Two evaluations per direction, however large the inputs: what the second-derivative check
    affords, where one evaluation is a whole forward and backward.
    """
    def shifted(u: dict[Path, np.ndarray], step: float) -> list[Any]:
        return map_leaves(host_args, lambda p, a: a + step * u[p] if p in u else a)

    return np.array([(scalar(shifted(u, STEP)) - scalar(shifted(u, -STEP))) / (2 * STEP) for u in directions])


def assert_close_where_probed(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, what: str) -> None:
    """Compare a gradient with central differences at the elements they were taken at."""
    probed = ~np.isnan(want)
    if probed.all():
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)
    else:
        where = np.flatnonzero(probed)
        np.testing.assert_allclose(got.reshape(-1)[where], want.reshape(-1)[where], rtol=rtol, atol=atol,
                                   err_msg=f"{what} (at the {where.size} sampled flat indices {where.tolist()})")


def weighted_output(case: Case, backend: Any) -> Callable[[list[Any]], float]:
    """``args -> sum_k <f(args)_k, w_k>`` evaluated on ``backend`` in float64."""
    from dezero_core.config import no_grad

    def scalar(host_args: list[Any]) -> float:
        with no_grad():
            _, outputs = call(case, backend, host_args)
        hosts = [np.asarray(backend.to_host(data_of(y)), dtype=np.float64) for y in outputs]
        return float(sum(np.sum(y * w) for y, w in zip(hosts, case.weights(hosts)) if w is not None))
    return scalar


def weighted_gradient(case: Case, backend: Any, vs: dict[Path, np.ndarray]) -> Callable[[list[Any]], float]:
    """``args -> sum_j <grad_j(args), v_j>`` with first gradients from a float64 backward."""
    def scalar(host_args: list[Any]) -> float:
        _, grads = first_gradients(case, backend, host_args, "float64")
        return float(sum(np.sum(backend.to_host(data_of(grads[p])) * v)
                         for p, v in vs.items() if grads[p] is not None))
    return scalar


def float64_backend(backend: Any) -> Any:
    """Where numerical derivatives are taken: ``backend`` itself, or numpy when it lacks float64."""
    if "float64" not in backend.unsupported:
        return backend
    from dezero_core.backend.selection import get_backend

    return get_backend("numpy")


def host_dtype_name(backend: Any, array: Any) -> str:
    """The dtype of a backend array, by name (``float32``)."""
    return backend.to_host(array).dtype.name
