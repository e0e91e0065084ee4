"""Gradient buffers: an array a parameter's next gradient is written into instead of a new one.

The backward pass gives each parameter a new gradient array per step. Data-parallel training then
copies every gradient into the buffer that is averaged across processes. With a buffer registered
for a parameter, its next gradient lands in that buffer and *is* it (PyTorch's
``gradient_as_bucket_view``): :class:`~dezero_core.functions.affine.Linear` computes the weight's
gradient straight into it (``out=``), any other function's gradient is copied into it by the
backward engine as soon as it is made. A buffer takes one gradient: the registration is used up
then, so a second backward pass before the owner registers it again (micro-batches accumulated by
hand, a gradient held across them) makes new arrays as without a buffer, and a gradient summed
from several uses of the parameter is a new array too (the buffer's owner copies those).

Only arrays whose backend writes in place with ``out=`` (numpy, cupy) may be registered. An entry
goes when its parameter does. ``dezero-mpi``'s sharded update registers views of a shared-memory
window, so that gradients need no packing.
"""
from __future__ import annotations

import weakref
from typing import Any

#: id(parameter) -> its gradient buffer (empty: the backward pass allocates gradients as usual)
GRAD_BUFFERS: dict[int, Any] = {}
#: id(parameter) -> a weak reference to it, whose callback drops the entry when the parameter goes
#: (before another object can reuse its id); kept while a buffer is used up, so that registering
#: the parameter's next buffer (each step, for dezero-mpi) makes no new reference
_OWNERS: dict[int, Any] = {}


def set_grad_buffer(param: Any, buffer: Any) -> None:
    """Write ``param``'s next gradient into ``buffer`` (of its shape and dtype), once."""
    if tuple(buffer.shape) != tuple(param.data.shape) or buffer.dtype != param.data.dtype:
        raise ValueError(f"a gradient buffer must have its parameter's shape and dtype: {tuple(buffer.shape)} "
                         f"{buffer.dtype} for a parameter of {tuple(param.data.shape)} {param.data.dtype}")
    key = id(param)
    GRAD_BUFFERS[key] = buffer
    if key not in _OWNERS:
        _OWNERS[key] = weakref.ref(param, lambda _, key=key: _forget(key))


def clear_grad_buffer(param: Any, buffers: Any = None) -> None:
    """Back to a new gradient array per backward pass for ``param``; with ``buffers``, only if its
    buffer is one of them (not one registered since by someone else)."""
    key = id(param)
    if buffers is None or any(GRAD_BUFFERS.get(key) is b for b in buffers):
        _forget(key)


def _forget(key: int) -> None:
    GRAD_BUFFERS.pop(key, None)
    _OWNERS.pop(key, None)


def out_for(function: Any, index: int, like: Any) -> dict[str, Any]:
    """``{"out": buffer}`` when the gradient of ``function``'s input ``index`` that its backward is
    about to compute (an array of the type of ``like``) is that parameter's first of this pass and
    it has a buffer; else ``{}`` (always, when no buffer is registered)."""
    if GRAD_BUFFERS:
        inputs = function.inputs
        if inputs is not None and index < len(inputs):
            param = inputs[index]
            buffer = GRAD_BUFFERS.get(id(param))
            if (buffer is not None and type(buffer) is type(like) and getattr(param, "_grad", 0) is None
                    and sum(x is param for x in inputs) == 1):  # twice an input: its other gradient goes there
                del GRAD_BUFFERS[id(param)]  # used up
                return {"out": buffer}
    return {}


def into_buffer(param: Any, grad: Any) -> Any:
    """``param``'s gradient ``grad`` (it had none), moved into its buffer if it has one (used up then)."""
    buffer = GRAD_BUFFERS.get(id(param))
    if buffer is None or type(buffer) is not type(grad) or buffer.shape != grad.shape:
        return grad
    del GRAD_BUFFERS[id(param)]  # used up
    buffer[...] = grad
    return buffer
