"""Sharded updates on one machine: one copy of the parameters and the optimizer's state, in shared
memory, each process updating its part of them.

Once the gradients are averaged (:mod:`dezero_mpi.shared_memory`), every process would run the same
update on the same numbers: as many copies of the parameters and of the optimizer's state (Adam's
two moments) as processes, and as many times the work. Here the processes of one machine keep one
copy of each in a shared-memory window, in the bucket's flat layout (one row for the values, one
per state slot): process ``r`` updates block ``r`` of it (the block of the average it has just
summed), then a fence, and every process reads all of the updated parameters through its views of
the window. ZeRO's first stage (PyTorch's ``ZeroRedundancyOptimizer``) shards the state the same
way across machines, where an allgather of the parameters follows; on one machine the shared
memory is that allgather.

The update of each element is the optimizer's own arithmetic, so the parameters and the state are
bit for bit those of an unsharded update. Only elementwise optimizers (``Optimizer.elementwise``)
can update part of a parameter.

The parameters' arrays (``param.data``) and the state's arrays become views of the window. An array
replaced since (``load_state_dict`` of the model or of the optimizer on every process, as a resumed
Trainer does) is taken in again at the next update: each process copies its block of the new array
into the window, so the processes must replace them alike (as with unsharded updates, where
different parameters on different processes would train apart).
"""
from __future__ import annotations

from typing import Any

from dezero_core.optimizers.optimizer import Optimizer


class ShardingUnavailable(ValueError):
    """``shard_update=True`` where a sharded update cannot work (says why)."""


def why_not_sharded(buckets: list[Any], optimizer: Any) -> str | None:
    """Why ``optimizer``'s update of ``buckets`` (averaged) cannot be sharded, or None when it can:
    every bucket averaged in shared memory, an elementwise optimizer, state shaped like each parameter."""
    from dezero_mpi.shared_memory import SharedMemoryTransport

    if not buckets:
        return "the model has no parameters"
    if not all(isinstance(bucket.transport, SharedMemoryTransport) for bucket in buckets):
        kinds = sorted({getattr(bucket.transport, "name", "none") for bucket in buckets})
        return (f"the gradients go through the {', '.join(kinds)} transport; sharing parameters needs every "
                f"process on one machine, with numpy arrays (the shared-memory transport)")
    if not optimizer.elementwise:
        return f"{type(optimizer).__name__} is not elementwise, so it cannot update part of a parameter"
    if type(optimizer).update is not Optimizer.update:
        return f"{type(optimizer).__name__} has an update() of its own, which a sharded update would bypass"
    for bucket in buckets:
        for name, param, _, _ in bucket.slots:
            shapes = {key: tuple(value.shape) for key, value in optimizer.init_state(param.data).items()}
            if any(shape != tuple(param.data.shape) for shape in shapes.values()):
                return f"{type(optimizer).__name__}'s state of {name!r} is not shaped like it: {shapes}"
    return None


class SharedParameters:
    """One bucket's parameters and their state slots of ``optimizer`` in a shared-memory window of
    the processes of ``mpi_comm`` (all on one machine); this process updates the elements
    ``block`` (``(lo, hi)`` of the bucket's layout) of it."""

    def __init__(self, mpi_comm: Any, bucket: Any, optimizer: Any, block: tuple[int, int]) -> None:
        import numpy
        from mpi4py import MPI

        count = bucket.flags  # the parameters' elements, without the flags that follow them
        first = bucket.slots[0][1].data
        self.keys = tuple(optimizer.init_state(first))  # every parameter has the same slots (elementwise)
        dtype = numpy.dtype(bucket.buffer.dtype)
        rows = 1 + len(self.keys)
        self.window = MPI.Win.Allocate_shared(rows * count * dtype.itemsize if mpi_comm.rank == 0 else 0,
                                              dtype.itemsize, comm=mpi_comm)
        memory, _ = self.window.Shared_query(0)
        table = numpy.ndarray(buffer=memory, dtype=dtype, shape=(rows, count))
        lo, hi = block[0], min(block[1], count)
        #: ``{name: (start, stop)}``: the elements of each flattened parameter this process updates
        self.spans: dict[str, tuple[int, int]] = {}
        #: per parameter: (name, parameter, its views of the window: values then each slot, its span or None)
        self.members: list[tuple[str, Any, list[Any], tuple[int, int] | None]] = []
        for name, param, start, stop in bucket.slots:
            shape = tuple(param.data.shape)
            views = [numpy.reshape(row[start:stop], shape) for row in table]
            a, b = max(start, lo), min(stop, hi)
            span = (a - start, b - start) if a < b else None
            if span is not None:
                self.spans[name] = span
            self.members.append((name, param, views, span))
        self.window.Fence()

    def take_in(self, optimizer: Any) -> None:
        """Make every parameter's array and state slot a view of the window again where something
        replaced it (the first update; a loaded state): this process's block of the array is copied
        into the window (the other processes copy theirs; the next :meth:`fence` completes it)."""
        for name, param, views, span in self.members:
            if param.data is not views[0]:
                param.data = self._taken_in(param.data, views[0], span)
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

    def release(self, optimizer: Any) -> None:
        """Give every parameter and state slot of ``optimizer`` still viewing the window a private
        copy, then free the window (collective): when the model's parameters change, before new
        buckets are made."""
        for name, param, views, _ in self.members:
            if param.data is views[0]:
                param.data = views[0].copy()
            slots = optimizer.state.get(name, {})
            for key, view in zip(self.keys, views[1:]):
                if slots.get(key) is view:
                    slots[key] = view.copy()
        self.window.Free()
