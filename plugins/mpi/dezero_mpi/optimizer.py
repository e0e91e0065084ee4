"""``create_multi_node_optimizer``: any optimizer, with gradients averaged over the processes first."""
from __future__ import annotations

import sys
from typing import Any

from dezero_mpi.buckets import Bucket, detach_grads, layout_key, make_buckets
from dezero_mpi.sharded import SharedParameters, ShardingUnavailable, why_not_sharded

# attributes of the wrapper itself; every other attribute is the wrapped optimizer's (lr, hooks, t...)
_OWN = frozenset({"actual_optimizer", "communicator", "shard_update", "_key", "_buckets", "_shared"})


class MultiNodeOptimizer:
    """Wraps ``actual_optimizer``: :meth:`update` averages every gradient over the processes of
    ``communicator`` (one flat buffer per dtype, one allreduce each; see :mod:`dezero_mpi.buckets`),
    then runs the wrapped update. Its hooks (``WeightDecay``, ``ClipGrad``...) see the averaged
    gradients; on one machine these are views of one average its processes share, so a hook
    assigns new gradients instead of writing into them (as the built-in hooks do). Every other
    attribute (``lr``, ``add_hook``, ``state_dict``...) is the wrapped optimizer's, so
    learning-rate schedules and checkpoints work unchanged.

    Inside ``dezero_core.compile`` it is a graph break: the compiled function runs eagerly (a
    ``GraphBreakWarning``; an error with ``fullgraph=True``), since the allreduce cannot be replayed.

    The model must have been given rank 0's parameters with ``communicator.bcast_data(model)``
    (again after its parameters change): the gradients of different weights do not average to
    anything meaningful, so an update of a model not broadcast is refused.

    ``shard_update``: True makes the processes of one machine (gradients averaged in shared memory,
    an elementwise optimizer) keep one copy of the parameters and of the optimizer's state in shared
    memory, each process updating its part of it (:mod:`dezero_mpi.sharded`): the same numbers, a
    process's share of the update's work and memory; it raises :class:`ShardingUnavailable`, saying
    why, where that cannot work. None does so wherever it can, else updates unsharded. False (the
    default) never does. Not the default because the processes then share ``param.data``: code
    that writes into it outside the optimizer on every process (``p.data *= 0.5``) would apply
    its change once per process.
    """

    def __init__(self, actual_optimizer: Any, communicator: Any, shard_update: bool | None = False) -> None:
        object.__setattr__(self, "actual_optimizer", actual_optimizer)
        object.__setattr__(self, "communicator", communicator)
        object.__setattr__(self, "shard_update", shard_update)
        object.__setattr__(self, "_key", None)
        object.__setattr__(self, "_buckets", [])
        object.__setattr__(self, "_shared", None)  # SharedParameters per bucket; None: not decided yet

    def setup(self, target: Any) -> "MultiNodeOptimizer":
        """Optimize ``target``'s parameters (as the wrapped optimizer's ``setup``). Returns self."""
        self.actual_optimizer.setup(target)
        return self

    def update(self) -> None:
        """Average the gradients over the processes, then update as the wrapped optimizer does."""
        target = self.actual_optimizer.target
        if target is None:
            raise RuntimeError("MultiNodeOptimizer.update() before setup(target): call setup(model) first")
        if _tracing():
            from dezero_core.static.symbolic import SymbolValueError, user_location

            raise SymbolValueError("MultiNodeOptimizer.update() averages the gradients through MPI, which a static "
                                   "graph cannot replay: keep it out of compiled functions", user_location())
        named = target.named_param_list() if hasattr(target, "named_param_list") else list(target.named_params())
        key = layout_key(named)
        if key != self._key:
            if not self.communicator.is_broadcast(target, key):
                raise RuntimeError(
                    "the model's parameters were not broadcast from rank 0 (or changed since): call "
                    "communicator.bcast_data(model) on every process before training, after one forward "
                    "pass when layers create their parameters lazily")
            self._release()
            object.__setattr__(self, "_buckets", make_buckets(named))
            object.__setattr__(self, "_key", key)
        if self._shared is None:
            object.__setattr__(self, "_shared", self._share())
        if self._shared:
            self._sharded_update()
        else:
            self.communicator.allreduce_buckets(self._buckets)
            self.actual_optimizer.update()

    def _sharded_update(self) -> None:
        """Average and update through the shared window (:mod:`dezero_mpi.sharded`), each process its block."""
        optimizer, shared = self.actual_optimizer, self._shared
        for part in shared:
            part.publish_grads()
        _fence(shared)  # every process's gradients are in the window
        for part in shared:
            part.average_own_block()
        if optimizer.hooks:  # they see whole gradients, and may read parameters: nobody updates before
            _fence(shared)
            to_update = optimizer.params_to_update()
            _fence(shared)
        else:
            to_update = optimizer.params_to_update()
        spans: dict[str, tuple[int, int]] = {}
        updated = {name for name, _ in to_update}
        for part in shared:
            part.take_in(optimizer, updated)
            spans.update(part.spans)
        optimizer.apply_update(to_update, spans)
        _fence(shared)  # every block averaged and updated before any process reads them again

    def _share(self) -> list[SharedParameters]:
        """The buckets in shared memory (see ``shard_update``), or [] for an unsharded update."""
        if self.shard_update is False or self.communicator.size == 1:
            return []
        reasons = self.communicator.mpi_comm.allgather(why_not_sharded(self._buckets, self.actual_optimizer,
                                                                         self.communicator))
        why = next((f"{reason} (on rank {rank})" for rank, reason in enumerate(reasons) if reason), None)
        if why is not None:  # decided alike everywhere: a process sharding alone would wait forever
            if self.shard_update:
                raise ShardingUnavailable(f"shard_update=True, but {why}; pass shard_update=None to shard "
                                          f"only where it works, False never to")
            return []
        return [SharedParameters(self.communicator.mpi_comm, bucket, self.actual_optimizer) for bucket in self._buckets]

    def close(self) -> None:
        """Free the shared-memory windows of the averaging and of sharded updates (collective: every
        process calls it); the model, its gradients and the optimizer's state keep private copies.
        The next :meth:`update` sets them up again. Call it before dropping a sharded optimizer in
        a process that goes on (a window is otherwise kept until the process ends)."""
        self._release()
        object.__setattr__(self, "_buckets", [])
        object.__setattr__(self, "_key", None)

    def _release(self) -> None:
        """Before new buckets: private copies of whatever views the old ones' windows, which are freed
        (every process alike: freeing is collective)."""
        for part in self._shared or []:
            part.release()
        object.__setattr__(self, "_shared", None)
        for bucket in self._buckets:
            detach_grads(bucket)
            getattr(bucket.transport, "free", lambda: None)()

    @property
    def buckets(self) -> list[Bucket]:
        """The flat buffers of the last update (one per backend, device and dtype)."""
        return self._buckets

    def __getattr__(self, name: str) -> Any:
        if name in _OWN:  # not set yet (an object being unpickled): no recursion through actual_optimizer
            raise AttributeError(name)
        return getattr(self.actual_optimizer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.actual_optimizer, name, value)

    def __repr__(self) -> str:
        return f"MultiNodeOptimizer({self.actual_optimizer!r}, {self.communicator!r})"


def _fence(shared: list[SharedParameters]) -> None:
    """A fence on every window (several with several dtypes: MPI orders each window's memory on its own)."""
    for part in shared:
        part.fence()


def _tracing() -> bool:
    """Whether ``dezero_core.compile`` is tracing now (never true before the static package is imported)."""
    symbolic = sys.modules.get("dezero_core.static.symbolic")
    return symbolic is not None and symbolic.CURRENT_TRACE.get() is not None


def create_multi_node_optimizer(actual_optimizer: Any, communicator: Any,
                                shard_update: bool | None = False) -> MultiNodeOptimizer:
    """``actual_optimizer`` with its gradients averaged over ``communicator``'s processes before
    every update (ChainerMN's name). Wrap before or after ``setup(model)``. ``shard_update``: see
    :class:`MultiNodeOptimizer`."""
    return MultiNodeOptimizer(actual_optimizer, communicator, shard_update)
