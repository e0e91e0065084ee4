"""The array-backend protocol: what the core needs from an array library.

A backend wraps a namespace that follows the Python array API standard and adds the few things the
standard lacks: host transfer, devices, a random generator, ``synchronize`` and native kernels for
scatter-add and the im2col/col2im pair. Backends subclass :class:`ArrayBackend`, which provides
array-API-only defaults for everything that can be written portably.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, ContextManager, Iterator, Sequence

from dezero_core.backend import host_io, special, windows

Array = Any  # an array of some backend; the core never names a concrete type
Shape = tuple[int, ...]


class RandomGenerator:
    """A seeded random generator producing arrays of one backend.

    Backends return a subclass from :meth:`ArrayBackend.random_generator`; every method takes a
    dtype so that a float32 model never sees float64 noise.
    """

    def uniform(self, low: float, high: float, shape: Shape, dtype: Any) -> Array:
        """Samples from U[low, high)."""
        raise NotImplementedError

    def normal(self, mean: float, std: float, shape: Shape, dtype: Any) -> Array:
        """Samples from N(mean, std**2)."""
        raise NotImplementedError

    def integers(self, low: int, high: int, shape: Shape) -> Array:
        """Integers drawn uniformly from [low, high)."""
        raise NotImplementedError

    def permutation(self, n: int) -> Array:
        """A random permutation of ``range(n)`` as an integer array."""
        raise NotImplementedError

    def get_state(self) -> Any:
        """A snapshot of the generator's state that a checkpoint can hold: plain Python values (dicts,
        lists, strings, numbers, None) and host arrays (``numpy.ndarray``, as :meth:`ArrayBackend.to_host`
        gives), never arrays of the backend. The conformance suite checks both this and a checkpoint
        round trip; :meth:`set_state` must also take the arrays back as arrays of the current backend,
        which is how a checkpoint loads them."""
        raise NotImplementedError

    def set_state(self, state: Any) -> None:
        """Restore a snapshot taken by :meth:`get_state`."""
        raise NotImplementedError


class ArrayBackend:
    """Base class of every array backend registered under ``dezero.backends``.

    Subclasses set :attr:`name` and :attr:`priority`, implement :meth:`_load` (import the library,
    return its array-API namespace), :meth:`array_types`, host transfer and the random generator.
    Nothing may be imported at module import time: ``is_available`` is the first place a backend
    touches its library.
    """

    name: str = ""
    priority: int = 0
    #: the top-level module of the array types (``"numpy"``, ``"torch"``): only backends naming an
    #: array's module (or naming none) are asked whether they own it, so that recognising an array
    #: imports no other array library
    array_module: str = ""
    #: whether an elementwise update gains from running on cache-sized row blocks of a parameter
    #: (a CPU backend computing one operation at a time: see :mod:`dezero_core.optimizers.blocks`)
    blocked_updates: bool = False
    #: what the backend cannot do, for the conformance suite: ``{"float64": "why", "op:conv2d": "why"}``
    unsupported: dict[str, str] = {}

    def __init__(self) -> None:
        self._xp: Any = None
        self._unavailable: str | None = None
        self._probed = False
        self._ops: Any = None

    # -- availability --------------------------------------------------------------------------
    def _load(self) -> Any:
        """Import the library and return its array-API namespace; raise if it is unusable."""
        raise NotImplementedError

    def _probe(self) -> None:
        if not self._probed:
            try:
                self._xp = self._load()
            except Exception as exc:  # a missing library, a missing driver, a broken install
                self._unavailable = f"{type(exc).__name__}: {exc}"
            self._probed = True

    def is_available(self) -> bool:
        """Whether the library imports and a device is usable (imports it on first call)."""
        self._probe()
        return self._unavailable is None

    @property
    def unavailable_reason(self) -> str | None:
        """Why :meth:`is_available` is false, or None."""
        self._probe()
        return self._unavailable

    @property
    def xp(self) -> Any:
        """The array-API namespace (e.g. the ``numpy`` module)."""
        if self._xp is None:
            self._probe()
            if self._unavailable is not None:
                raise RuntimeError(f"backend {self.name!r} is not usable: {self._unavailable}")
        return self._xp

    @property
    def ops(self) -> Any:
        """The namespace handed to ``Function.forward``/``backward``: the array API plus extras."""
        if self._ops is None:
            from dezero_core.backend.ops import ArrayOps

            self._ops = ArrayOps(self)
        return self._ops

    # -- arrays -------------------------------------------------------------------------------
    def array_types(self) -> tuple[type, ...]:
        """The concrete array types this backend produces (used to dispatch on an array's type)."""
        raise NotImplementedError

    def owns(self, obj: Any) -> bool:
        """Whether ``obj`` is an array of this backend."""
        return isinstance(obj, self.array_types())

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Array:
        """Convert ``obj`` (nested sequences, scalars, host arrays) to an array of this backend."""
        kwargs = {"dtype": dtype} if dtype is not None else {}
        if device is not None:
            kwargs["device"] = device
        return self.xp.asarray(obj, **kwargs)

    def to_host(self, array: Array) -> Any:
        """Copy ``array`` into host memory as a ``numpy.ndarray``, the one host exchange type (for
        other backends, plotting and :meth:`to_bytes`)."""
        raise NotImplementedError

    def from_host(self, host_array: Any, device: Any = None) -> Array:
        """The inverse of :meth:`to_host`: a ``numpy.ndarray`` as an array of this backend (on
        ``device``, or the default one), not sharing memory that the caller may still write."""
        return self.asarray(host_array, device=device)

    # -- host I/O: what weights files and checkpoints hold ------------------------------------------
    def to_bytes(self, array: Array) -> host_io.ArrayBytes:
        """``array`` as (dtype name, shape, little-endian C-order bytes); TypeError for a dtype other
        than bool, (u)int8-64 and float16/32/64. Default: through :meth:`to_host`."""
        return host_io.host_to_bytes(self.to_host(array))

    def from_bytes(self, item: host_io.ArrayBytes, device: Any = None) -> Array:
        """A new, writable array of this backend from what :meth:`to_bytes` returns (a file's bytes:
        only the dtypes of :data:`~dezero_core.backend.host_io.DTYPES`, sizes checked).

        Default: the array API's ``asarray`` over the buffer protocol."""
        array = host_io.portable_from_bytes(self.xp, item)
        return array if device is None else self.to_device(array, device)

    def devices(self) -> list[Any]:
        """The devices arrays of this backend can live on."""
        info = getattr(self.xp, "__array_namespace_info__", None)
        return list(info().devices()) if info is not None else [None]

    def device_of(self, array: Array) -> Any:
        """The device ``array`` lives on."""
        return getattr(array, "device", None)

    def to_device(self, array: Array, device: Any) -> Array:
        """``array`` on ``device`` (one of :meth:`devices`, compared as :meth:`device_of` reports it):
        the array itself when it is there already or ``device`` is None, else a copy there.

        The default calls the array API's ``array.to_device``; a library whose arrays lack it (torch:
        ``Tensor.to``) overrides this."""
        return array if device is None or self.device_of(array) == device else array.to_device(device)

    def synchronize(self) -> None:
        """Wait until queued work has finished (a no-op for synchronous CPU backends)."""

    def random_generator(self, seed: int | None = None) -> RandomGenerator:
        """A new random generator; the same seed gives the same stream."""
        raise NotImplementedError

    def compute_scope(self, flush_denormals: bool = True) -> ContextManager[bool]:
        """A ``with`` block in which this backend computes with denormal floats flushed to zero
        (``flush_denormals``) or kept exact; it yields whether the backend did that, and on leaving
        (also by an exception) restores exactly the mode it found. Blocks nest.

        The Trainer holds one around ``fit``/``evaluate``, and optimizers around every 16th update:
        float32 denormals (below 1.2e-38) cost ~100x on x86, and Adam's moments of gradients that are
        always zero decay into them and stay. On a CPU the mode belongs to the calling thread.

        The default does nothing and yields False (a GPU's flushing is fixed when its kernels are
        compiled); a backend that implemented the earlier optional ``set_flush_denormal(enabled) ->
        bool`` and ``get_flush_denormal() -> bool`` pair gets a scope made of them.
        """
        if hasattr(self, "set_flush_denormal"):
            return _legacy_flush_scope(self, flush_denormals)
        return contextlib.nullcontext(False)

    # -- the namespace functions compute with -------------------------------------------------------
    def fast_functions(self) -> dict[str, Any]:
        """Replacements for names of ``xp`` in :attr:`ops`, with the same semantics and less overhead.

        ``Function.forward``/``backward`` call a few names (reductions above all) on every step, on
        arrays often small enough that a library's Python-level wrapper costs as much as the
        arithmetic. A backend may map such names to leaner callables; the default maps none.
        """
        return {}

    def optimizer_kernel(self, name: str) -> Callable[..., None] | None:
        """A fused in-place update for the optimizer ``name``, or None for the portable one.

        ``"adam"``: ``kernel(data, grad, m, v, beta1, beta2, step_size, eps)`` does, in place,
        ``m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; data -= step_size · m / (√v + eps)``, with the
        arithmetic of :meth:`dezero_core.optimizers.Adam.update_one`. The array API has no ``out=``,
        so the portable chain allocates three temporaries per parameter and step; a backend with
        output arguments or kernel fusion does it in fewer passes over memory. ``Adam`` hands it
        whole parameters: a CPU backend may run a large one by cache-sized blocks itself.
        ``"adamw"`` (asked for only where ``"adam"`` exists): the same with a last argument
        ``decay``, ``data *= decay`` first (AdamW's ``1 - lr · weight_decay``); without it, AdamW
        decays and calls ``"adam"``.
        ``"jit:adam"``, ``"jit:adamw"``: the same, compiled (numpy's ``[jit]`` extra: numba), worth its
        compile time only in ``dz.compile``'s replay, which asks for it when it is built and calls its
        ``warm(dtype)``, if it has one, to pay that compile then; None: the plain kernel.
        """
        return None

    def fuse_elementwise(self, program: Any) -> Callable[..., tuple[Array, ...]] | None:
        """One callable computing the :class:`~dezero_core.backend.elementwise.ElementwiseProgram`
        ``program`` (a chain of elementwise steps), or None to keep the steps unfused (the default).

        The callable is ``kernel(*inputs, out=None)`` and returns one array per program output,
        written to ``out`` (a sequence of arrays) when given. The static graph's fusion pass calls
        this once per chain at compile time; return None wherever fusing does not measure faster
        than the steps one by one (small arrays, a dtype or shape the kernel does not serve).
        """
        return None

    # -- extras the array API lacks --------------------------------------------------------------
    def scatter_add(self, target: Array, index: Any, values: Array) -> None:
        """``target[index] += values`` in place, adding repeated indices up (numpy's ``add.at``)."""
        raise NotImplementedError(f"backend {self.name!r} does not implement scatter_add")

    def erf(self, x: Array) -> Array:
        """The error function, elementwise (portable default: :func:`dezero_core.backend.special.erf`)."""
        return special.erf(self.xp, x)

    def im2col(self, x: Array, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
               pad_value: float = 0.0) -> Array:
        """The (KH, KW) windows of ``x`` (N, C, H, W) with strides (sy, sx), padded by (ph, pw).

        Returns (N, C, KH, KW, OH, OW) with ``OH = (H + 2*ph - KH) // sy + 1`` (likewise OW); the
        padding holds ``pad_value`` (max pooling pads with -inf). It may be a read-only view: copy
        before writing to it. Portable default: :func:`dezero_core.backend.windows.im2col`.
        """
        return windows.im2col(self.xp, x, kh, kw, sy, sx, ph, pw, pad_value)

    def col2im(self, col: Array, img_shape: Sequence[int], kh: int, kw: int, sy: int, sx: int,
               ph: int, pw: int) -> Array:
        """The adjoint of :meth:`im2col`: ``col`` (N, C, KH, KW, OH, OW) summed back into ``img_shape``.

        Portable default: :func:`dezero_core.backend.windows.col2im`.
        """
        return windows.col2im(self.xp, col, tuple(img_shape), kh, kw, sy, sx, ph, pw)

    def sum_to(self, x: Array, shape: Sequence[int]) -> Array:
        """Sum ``x`` over broadcast axes so that its shape becomes ``shape`` (inverse of broadcast_to)."""
        shape = tuple(shape)
        if x.shape == shape:
            return x
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
        )
        y = self.xp.sum(x, axis=axes, keepdims=True)
        return self.xp.reshape(y, shape) if lead else y

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def prod(shape: Sequence[int]) -> int:
    """The number of elements of an array of ``shape``."""
    return math.prod(shape)


@contextlib.contextmanager
def _legacy_flush_scope(backend: Any, flush: bool) -> Iterator[bool]:
    """:meth:`ArrayBackend.compute_scope` of a backend written against the earlier protocol, which
    had it set and read the mode (``set_flush_denormal`` returning whether it is supported)."""
    previous = backend.get_flush_denormal()
    supported = backend.set_flush_denormal(flush)
    try:
        yield supported
    finally:
        if supported:
            backend.set_flush_denormal(previous)
