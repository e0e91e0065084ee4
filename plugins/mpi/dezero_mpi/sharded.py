"""Sharded updates on one machine: one copy of the parameters and the optimizer's state in shared
memory, gradients computed straight into it, each process averaging and updating its part.

With gradients averaged as :mod:`dezero_mpi.shared_memory` does, every process would then run the
same update on the same numbers: as many copies of the parameters and of the optimizer's state
(Adam's two moments) as processes, and as many times the work. Here the processes of one machine
keep one copy of each in a shared-memory window, in the bucket's flat layout, with ``size + 1``
rows of gradients:

1. The backward pass writes each process's gradients into its row (the row's slices are the
   parameters' gradient buffers, :mod:`dezero_core.graph.grad_buffers`: a linear layer's matrix
   product lands there, any other gradient is copied there as it is made; nothing to pack after).
   The process marks which parameters have a gradient in a small table of flags. A fence.
2. Process ``r`` sums block ``r`` of the rows in place into process 0's row and scales it (by
   cache-sized chunks), every gradient becomes a view of that row, and process ``r`` updates block
   ``r`` of the parameters and of the state. A fence, after which every process reads the whole
   updated parameters through its views of the window.

The average's row stays as it is through the next step, whose gradients go into the other rows (a
process may still read the average while another computes its next gradients): a step touches
``size`` rows of gradients, and the average has no row of its own.

ZeRO's first stage (PyTorch's ``ZeroRedundancyOptimizer``) shards the state the same way across
machines, where a reduce-scatter and an allgather of the parameters take the window's place.

The update of each element is the optimizer's own arithmetic (``update_one``), so the parameters
and the state are bit for bit those of an unsharded update on 2 processes (on 3, ``1/3`` is
inexact: a rounding apart). Only elementwise optimizers whose per-parameter update is
dezero_core's own can update part of a parameter.

The parameters' arrays (``param.data``) and the state's arrays become views of the window. An array
replaced since (``load_state_dict`` of the model or of the optimizer on every process, as a resumed
Trainer does) is taken in again at the next update: each process copies its block of the new array
into the window, so the processes must replace them alike (as with unsharded updates, where
different parameters on different processes would train apart). Freeing a window is collective:
:meth:`~dezero_mpi.optimizer.MultiNodeOptimizer.close` does it; a sharded optimizer merely dropped
leaves private copies behind but keeps its window until the process ends.
"""
from __future__ import annotations

import os
import weakref
from typing import Any

from dezero_core.graph.grad_buffers import clear_grad_buffer, set_grad_buffer
from dezero_core.optimizers.optimizer import Optimizer
from dezero_mpi.buckets import grad_array, set_grad
from dezero_mpi.transports import TRANSPORT_ENV


#: elements per chunk of the averaging (1 MB of float32: a core's L2 here), so that the scaling
#: after the sum reads the chunk from cache; a sum then a scaling beat a scaled copy then an ``axpy``
#: per process (0.65-0.70 against 0.80-0.88 ms for 3.6 MB, 2 processes at once)
SUM_CHUNK = 1 << 18


class ShardingUnavailable(ValueError):
    """``shard_update=True`` where a sharded update cannot work (says why)."""


def why_not_sharded(buckets: list[Any], optimizer: Any, communicator: Any) -> str | None:
    """Why ``optimizer``'s update of ``buckets`` over ``communicator``'s processes cannot be sharded,
    or None when it can: every process on one machine, numpy parameters, the shared-memory transport
    not overruled, an elementwise optimizer with state shaped like each parameter."""
    if not buckets:
        return "the model has no parameters"
    if communicator.intra_size != communicator.size:
        return (f"the {communicator.size} processes run on several machines (at most {communicator.intra_size} "
                f"on one); sharing parameters needs them all on one")
    forced = communicator.transport or os.environ.get(TRANSPORT_ENV) or None
    if forced not in (None, "shared-memory"):
        return f"the {forced} transport was asked for ({TRANSPORT_ENV} or transport=), not shared memory"
    kinds = sorted({type(bucket.buffer).__module__.split(".")[0] for bucket in buckets} - {"numpy"})
    if kinds:
        return f"the parameters are {', '.join(kinds)} arrays; shared memory holds numpy arrays only"
    if not optimizer.elementwise:
        return f"{type(optimizer).__name__} is not elementwise, so it cannot update part of a parameter"
    if type(optimizer).update is not Optimizer.update:
        return f"{type(optimizer).__name__} has an update() of its own, which a sharded update would bypass"
    owner = next(c for c in type(optimizer).__mro__ if "update_param" in vars(c))
    if not owner.__module__.startswith("dezero_core.optimizers."):  # dezero_core's own equal update_one
        inherited = f" (from {owner.__name__})" if owner is not type(optimizer) else ""
        return (f"{type(optimizer).__name__} has an update_param() of its own{inherited}, which a sharded update "
                f"(update_one on parts of parameters) would bypass")
    for bucket in buckets:
        for name, param, _, _ in bucket.slots:
            shapes = {key: tuple(value.shape) for key, value in optimizer.init_state(param.data).items()}
            if any(shape != tuple(param.data.shape) for shape in shapes.values()):
                return f"{type(optimizer).__name__}'s state of {name!r} is not shaped like it: {shapes}"
    return None


class SharedParameters:
    """One bucket's parameters, their state slots of ``optimizer``, every process's gradients and
    their average, in a shared-memory window of the processes of ``mpi_comm`` (all on one machine);
    this process averages and updates the elements of block ``mpi_comm.rank`` of the layout."""

    def __init__(self, mpi_comm: Any, bucket: Any, optimizer: Any) -> None:
        import numpy
        from mpi4py import MPI

        size, rank = mpi_comm.size, mpi_comm.rank
        count = bucket.flags  # the parameters' elements, without the flags that follow them
        self.slots = bucket.slots
        self.keys = tuple(optimizer.init_state(self.slots[0][1].data))  # the same for all (elementwise)
        dtype = numpy.dtype(bucket.buffer.dtype)
        rows = 1 + len(self.keys) + size + 1  # values, state slots, then size + 1 rows of gradients
        elements = rows * count + size * len(self.slots)  # then the table of flags
        self.window = MPI.Win.Allocate_shared(elements * dtype.itemsize if rank == 0 else 0, dtype.itemsize,
                                              comm=mpi_comm)
        memory, _ = self.window.Shared_query(0)
        flat = numpy.ndarray(buffer=memory, dtype=dtype, shape=(elements,))
        table = flat[:rows * count].reshape(rows, count)
        self.grad_rows = table[1 + len(self.keys):]
        self.flags = flat[rows * count:].reshape(size, len(self.slots))  # flags[q, i]: process q has a gradient of i
        self.size, self.rank, self.scale = size, rank, 1.0 / size
        lo, hi = count * rank // size, count * (rank + 1) // size
        #: ``{name: (start, stop)}``: the elements of each flattened parameter this process updates
        self.spans: dict[str, tuple[int, int]] = {}
        self.pieces: list[tuple[int, int, int]] = []  # (parameter index, start, stop) of this process's block
        #: per parameter: (name, parameter, its views of the window: values then each slot, its span or None)
        self.members: list[tuple[str, Any, list[Any], tuple[int, int] | None]] = []
        #: per gradient row, per parameter: its view of the row
        self.row_views: list[list[Any]] = [[] for _ in self.grad_rows]
        for i, (name, param, start, stop) in enumerate(self.slots):
            shape = tuple(param.data.shape)
            views = [numpy.reshape(row[start:stop], shape) for row in table[:1 + len(self.keys)]]
            a, b = max(start, lo), min(stop, hi)
            span = (a - start, b - start) if a < b else None
            if span is not None:
                self.spans[name] = span
                self.pieces.append((i, a, b))
            self.members.append((name, param, views, span))
            for row, row_views in zip(self.grad_rows, self.row_views):
                row_views.append(numpy.reshape(row[start:stop], shape))
        self._flat = flat
        self.rows_of = list(range(size))  # the gradient row of each process this step
        self._set_buffers()
        # dropped without release() (another optimizer for the same model): the same private copies
        # (the window's memory stays mapped while an array views it)
        self._detach = weakref.finalize(self, _detach, self._owned(), weakref.ref(optimizer), self.keys, flat)
        self.window.Fence()

    def _set_buffers(self) -> None:
        """This process's row of this step: its parameters' gradient buffers."""
        self.buffers = self.row_views[self.rows_of[self.rank]]
        for (_, param, _, _), buffer in zip(self.slots, self.buffers):
            set_grad_buffer(param, buffer)

    def publish_grads(self) -> None:
        """This process's gradients into its row of the window (those the backward pass did not write
        there, as the first step's or a gradient summed from several uses of a parameter) and its
        flags: which parameters have a gradient."""
        flags = self.flags[self.rank]
        for i, (_, param, _, _) in enumerate(self.slots):
            grad = grad_array(param)
            flags[i] = grad is not None
            if grad is not None and grad is not self.buffers[i]:
                self.buffers[i][...] = grad

    def average_own_block(self) -> None:
        """This process's block of the average, in place in process 0's row: the processes'
        gradients summed, times ``1 / size`` (a process without one counts zeros, as in
        :meth:`Bucket.pack_grads`), by chunks of :data:`SUM_CHUNK` whose scaling runs in cache;
        then every parameter's gradient is its view of that row, or None where no process has one
        (complete once every process has done its block: a fence). With 2 processes (any power of
        two) the scaling is exact, so the average is bit for bit the unsharded one; otherwise it
        may differ from it by a rounding.

        The average's row is kept for the next step (the gradients read after this update are its
        views): the processes' next gradients go into the other ``size`` rows."""
        import numpy

        present = self.flags > 0
        average = self.grad_rows[self.rows_of[0]]
        for i, start, stop in self.pieces:
            others = [self.grad_rows[self.rows_of[q]] for q in range(1, self.size) if present[q, i]]
            added_to = bool(present[0, i])  # else process 0's row holds an old gradient there: written over
            for a in range(start, stop, SUM_CHUNK) if added_to or others else ():
                b = min(a + SUM_CHUNK, stop)
                out = average[a:b]
                terms = [row[a:b] for row in others]
                if not added_to:
                    if len(terms) == 1:
                        numpy.multiply(terms[0], self.scale, out=out)
                        continue
                    numpy.add(terms[0], terms[1], out=out)
                    terms = terms[2:]
                for term in terms:
                    numpy.add(out, term, out=out)
                numpy.multiply(out, self.scale, out=out)
        anywhere = present.any(axis=0)
        averages = self.row_views[self.rows_of[0]]
        for i, (_, param, _, _) in enumerate(self.slots):
            if anywhere[i]:
                set_grad(param, averages[i])
            else:
                param._grad = None
        kept = self.rows_of[0]
        self.rows_of = [row for row in range(self.size + 1) if row != kept]
        self._set_buffers()

    def take_in(self, optimizer: Any, updated: set[str]) -> None:
        """Make every parameter's array and state slot a view of the window again where something
        replaced it (the first update; a loaded state): this process's block of the array is copied
        into the window (the other processes copy theirs; the next :meth:`fence` completes it).
        State is created (as ``update()`` would) only for the parameters ``updated`` now."""
        for name, param, views, span in self.members:
            if param.data is not views[0]:
                param.data = self._taken_in(param.data, views[0], span)
            if name not in updated and name not in optimizer.state:
                continue
            slots = optimizer.slots_of(name, param.data)
            for key, view in zip(self.keys, views[1:]):
                if slots[key] is not view:
                    slots[key] = self._taken_in(slots[key], view, span)

    @staticmethod
    def _taken_in(array: Any, view: Any, span: tuple[int, int] | None) -> Any:
        import numpy

        if span is not None:
            a, b = span
            numpy.reshape(view, (-1,))[a:b] = numpy.reshape(numpy.asarray(array), (-1,))[a:b]
        return view

    def fence(self) -> None:
        """Wait until every process has reached this point; their writes to the window are then visible."""
        self.window.Fence()

    def _owned(self) -> list[tuple[Any, str, list[Any], list[Any]]]:
        """Per parameter: a weak reference to it, its name, its views of the value and state rows,
        its views of the gradient rows (what :func:`_detach` needs, without this object)."""
        return [(weakref.ref(param), name, views, [row[i] for row in self.row_views])
                for i, (name, param, views, _) in enumerate(self.members)]

    def release(self) -> None:
        """Give every parameter, gradient and state slot still viewing the window a private copy,
        then free the window (collective): when the model's parameters change, before new buckets
        are made."""
        self._detach()
        self.window.Free()


def _detach(owned: list[tuple[Any, str, list[Any], list[Any]]], optimizer_ref: Any, keys: tuple[str, ...],
            window: Any) -> None:
    """Private copies for the parameters, gradients and state slots of
    :meth:`SharedParameters._owned` still viewing the ``window``'s memory, and new gradient arrays
    again instead of its rows: every process would otherwise update the one shared copy, each in full."""
    import numpy

    optimizer = optimizer_ref()
    for ref, name, views, buffers in owned:
        param = ref()
        if param is None:
            continue
        clear_grad_buffer(param, buffers)
        if param.data is views[0]:
            param.data = views[0].copy()
        grad = grad_array(param)
        if grad is not None and numpy.may_share_memory(grad, window):
            set_grad(param, grad.copy())
        slots = optimizer.state.get(name, {}) if optimizer is not None else {}
        for key, view in zip(keys, views[1:]):
            if slots.get(key) is view:
                slots[key] = view.copy()
