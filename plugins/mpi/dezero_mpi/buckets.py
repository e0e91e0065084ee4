"""Flat buffers: a model's parameters packed into one buffer per (backend, device, dtype).

One collective on one large buffer costs one latency; one per parameter would cost one each (an
MLP has 6 parameters, a ResNet-50 161). The layout follows the model's deterministic parameter
order (by name), so every process lays out the same model the same way.
"""
from __future__ import annotations

from typing import Any, Iterable

from dezero_core.backend.protocol import ArrayBackend, prod
from dezero_core.backend.selection import backend_of
from dezero_core.graph.variable import Variable


class Bucket:
    """The parameters of one backend, device and dtype, laid out in one flat buffer.

    ``slots`` are ``(name, parameter, start, stop)``: the parameter's elements are
    ``buffer[start:stop]``, in its own shape's C order. After them come ``len(slots)`` more elements,
    one per parameter, used as flags (see :meth:`pack_grads`).
    """

    def __init__(self, backend: ArrayBackend, device: Any, dtype: Any, named: list[tuple[str, Any]]) -> None:
        self.backend = backend
        self.dtype = dtype
        self.slots: list[tuple[str, Any, int, int]] = []
        start = 0
        for name, param in named:
            stop = start + prod(param.data.shape)  # not .size: a method of torch tensors
            self.slots.append((name, param, start, stop))
            start = stop
        self.flags = start  # where the per-parameter flags begin
        self._on_device = {} if device is None else {"device": device}
        self.buffer = backend.xp.zeros((start + len(named),), dtype=dtype, **self._on_device)
        self.transport: Any = None  # chosen at first use (see transports.select_transport)

    def pack_data(self) -> Any:
        """The buffer, holding every parameter's values."""
        xp, buffer = self.backend.xp, self.buffer
        for _, param, start, stop in self.slots:
            buffer[start:stop] = xp.reshape(param.data, (-1,))
        return buffer

    def unpack_data(self, buffer: Any) -> None:
        """Copy ``buffer``'s values into the parameters, in place."""
        xp = self.backend.xp
        for _, param, start, stop in self.slots:
            param.data[...] = xp.reshape(buffer[start:stop], param.data.shape)

    def pack_grads(self, scale: float = 1.0, lo: int = 0, hi: int | None = None, out: Any = None) -> Any:
        """``out`` (default: the buffer) holding, in the layout's range ``[lo, hi)`` (default: all of
        it), every gradient times ``scale`` (zeros where a parameter has none) and the flags times
        ``scale``: a flag is 1 where a parameter has a gradient, 0 where it has not.

        The scale rides on the copy, which reads and writes every element anyway: gradients packed
        with ``1 / size`` sum to their average, with no second pass over the buffer (bit for bit
        the sum's average when ``size`` is a power of two); summed flags stay above 0 wherever a
        process had a gradient."""
        out = self.buffer if out is None else out
        scaled_copy = _scaled_copy_into(self.backend.xp)
        for elements, start, stop in self.grad_pieces(lo, hi):
            if elements is None:
                out[start:stop] = 0
            else:
                scaled_copy(out, start, stop, elements, scale)
        return out

    def grad_pieces(self, lo: int = 0, hi: int | None = None) -> list[tuple[Any, int, int]]:
        """``(elements, start, stop)`` covering the layout's range ``[lo, hi)``: the flat gradient
        elements that belong at ``buffer[start:stop]``, None for a parameter without a gradient
        (zeros belong there), then this process's flags where the range reaches them."""
        reshape, pieces = self.backend.ops.reshape, []  # ops: numpy's without its Python wrapper (1 against 4 us)
        hi = self.buffer.shape[0] if hi is None else hi
        grads = [grad_array(param) for _, param, _, _ in self.slots]
        for (_, _, start, stop), grad in zip(self.slots, grads):
            a, b = max(start, lo), min(stop, hi)
            if a < b:
                pieces.append((None if grad is None else reshape(grad, (-1,))[a - start:b - start], a, b))
        a = max(self.flags, lo)
        if a < hi:
            flags = self.backend.xp.asarray([0 if grad is None else 1 for grad in grads], dtype=self.dtype,
                                            **self._on_device)
            pieces.append((flags[a - self.flags:hi - self.flags], a, hi))
        return pieces

    def unpack_grads(self, buffer: Any) -> None:
        """Make each parameter's gradient its view of ``buffer`` (no copy); a parameter that had a
        gradient on no process keeps none, as it would in a single process."""
        reshape = self.backend.ops.reshape
        flags = self.backend.to_host(buffer[self.flags:])
        for i, (_, param, start, stop) in enumerate(self.slots):
            if flags[i] > 0:
                set_grad(param, reshape(buffer[start:stop], param.data.shape))
            else:
                param._grad = None


def layout_key(named: Iterable[tuple[str, Any]]) -> tuple[Any, ...]:
    """What decides the buckets: each created parameter's name, identity, shape and dtype (the dtype
    object: ``str(dtype)`` would cost 60 of the 70 us this takes on every update)."""
    return tuple((name, id(p), tuple(p.data.shape), p.data.dtype) for name, p in named if p.data is not None)


def make_buckets(named: Iterable[tuple[str, Any]]) -> list[Bucket]:
    """One :class:`Bucket` per (backend, device, dtype) of the created parameters, in the order in
    which each first appears among the parameters (by name)."""
    groups: dict[tuple[Any, ...], list[tuple[str, Any]]] = {}
    places: dict[tuple[Any, ...], tuple[ArrayBackend, Any, Any]] = {}
    for name, param in named:
        if param.data is None:
            continue
        backend = backend_of(param.data)
        device = backend.device_of(param.data)
        key = (backend.name, str(device), str(param.data.dtype))
        groups.setdefault(key, []).append((name, param))
        places.setdefault(key, (backend, device, param.data.dtype))
    return [Bucket(*places[key], members) for key, members in groups.items()]


def _scaled_copy_into(xp: Any) -> Any:
    """``copy(buffer, start, stop, x, scale)``: ``buffer[start:stop] = x * scale``, in one pass where
    ``xp`` has ``out=`` (numpy, cupy); the array API has no ``out=``, so elsewhere through a temporary."""
    if getattr(xp, "__name__", None) in ("numpy", "cupy"):
        multiply = xp.multiply

        def copy(buffer: Any, start: int, stop: int, x: Any, scale: float) -> None:
            multiply(x, scale, out=buffer[start:stop])
    else:
        def copy(buffer: Any, start: int, stop: int, x: Any, scale: float) -> None:
            buffer[start:stop] = x if scale == 1.0 else x * scale
    return copy


def detach_grads(bucket: Bucket) -> None:
    """Give the bucket's parameters private copies of their gradients, which may be views of a
    buffer or shared-memory window about to be freed (see :meth:`Bucket.unpack_grads`)."""
    for _, param, _, _ in bucket.slots:
        grad = grad_array(param)
        if grad is not None:
            set_grad(param, bucket.backend.xp.asarray(grad, copy=True))


def grad_array(param: Any) -> Any:
    """``param``'s gradient as an array (None if it has none)."""
    grad = param._grad
    return grad.data if isinstance(grad, Variable) else grad  # a Variable: backward(create_graph=True)


def set_grad(param: Any, array: Any) -> None:
    """Make ``array`` ``param``'s gradient, keeping its Variable where it has one."""
    grad = param._grad
    if isinstance(grad, Variable):  # keep the gradient's Variable, change its value
        grad.data = array
    else:
        param._grad = array
