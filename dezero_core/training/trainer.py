"""``Trainer``: the book's training loop, once, with history, evaluation, extensions and checkpoints.

The loop is the one the book writes by hand (forward, loss, ``cleargrads``, ``backward``,
``update``) with nothing added per batch but the bookkeeping a user would add too; everything else
(progress bars, plots, checkpoints, early stopping, learning-rate schedules) are extensions called
through the pluggy hooks of :mod:`dezero_core.hookspecs`.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, ContextManager, Iterable, Iterator

import pluggy

from dezero_core import hookspecs
from dezero_core import random as dz_random
from dezero_core.backend.protocol import ArrayBackend
from dezero_core.backend.selection import backend_of, get_backend, using_backend
from dezero_core.config import no_grad, using_config
from dezero_core.data.arrays import is_array, namespace
from dezero_core.graph.transfer import move_array
from dezero_core.training import distributed
from dezero_core.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

CHECKPOINT_FORMAT = 1


class Trainer:
    """Train ``model`` with ``optimizer`` on ``train_loader``, minimising ``loss_fn(model(x), t)``.

    ``fit(epochs)`` trains until ``epochs`` epochs are complete (after :meth:`load_checkpoint`, only
    the remaining ones, from the exact batch where the checkpoint was taken); ``history`` holds one
    record per epoch: ``train_loss``, ``train_accuracy`` and, with a ``test_loader``, ``test_loss``
    and ``test_accuracy``. Accuracy is measured when the model outputs class scores ``(N, C)`` for
    integer labels ``(N,)``.

    ``backend`` (a name or a backend; default: the current one) is where the model computes: the
    model is moved there, and each batch as it comes (the loaders themselves are left as the caller
    made them). ``extensions`` are objects implementing hooks of
    :mod:`dezero_core.hookspecs` (or names registered under ``dezero.extensions``), called in the
    order given, then the modules of the ``dezero.plugins`` group.

    ``flush_denormal`` (default True): ``fit`` and ``evaluate`` run in the backend's compute scope
    (:meth:`~dezero_core.backend.protocol.ArrayBackend.compute_scope`): denormal floats are flushed to
    zero (CPU backends, in the calling thread) and the thread's previous mode is restored when they
    return. Training drives values into the denormals (Adam's moments of weights whose gradient is
    always zero decay there and stay), and arithmetic on them is ~100x slower on x86: without
    flushing, an MLP's epochs after the first run ~1.6x slower. TensorFlow flushes by default and
    PyTorch offers ``torch.set_flush_denormal``; False leaves the mode as it is, for results exact
    below float32's normal range (1.2e-38).

    ``compile`` (default False): each training step (forward, backward, update) is traced once into a
    static graph and replayed (see :func:`dezero_core.compile`); the same results as eager steps. An
    extension that reads gradients before the update (``dezero_before_update``) keeps steps eager,
    as does a ``communicator``.

    ``communicator`` (see :mod:`dezero_core.training.distributed`; ``dezero_mpi.create_communicator()``)
    makes this one of several processes training one model on their own parts of the data: the
    optimizer must average gradients across them (``dezero_mpi.create_multi_node_optimizer``),
    records are means over every process's samples, extensions marked ``main_process_only``
    (progress, plots) run on rank 0 only, and checkpoints are written by rank 0 with every rank's
    data position, and restored on every rank.
    """

    def __init__(self, model: Any, loss_fn: Callable[[Any, Any], Any], optimizer: Any, train_loader: Any,
                 test_loader: Any = None, backend: str | ArrayBackend | None = None,
                 extensions: Iterable[Any] = (), accuracy_fn: Callable[[Any, Any], Any] | None = None,
                 flush_denormal: bool = True, communicator: distributed.Communicator | None = None,
                 compile: bool = False) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.test_loader = test_loader
        self.backend = get_backend(backend)
        self.accuracy_fn = accuracy_fn
        self.flush_denormal = flush_denormal
        self.communicator = _check_communicator(communicator, optimizer)
        self.compile = compile
        self._compiled_step: Any = None
        self.extensions = [_instantiate(e) for e in extensions]
        self.history: list[dict[str, Any]] = []
        self.epoch = 0  # epochs completed
        self.iteration = 0  # batches completed in the current epoch
        self.stop_training = False
        self._sums = _Sums()
        self._checked: set[int] = set()  # loaders whose labels were checked against the model
        self.plugin_manager = self._make_plugin_manager()
        if hasattr(model, "to"):
            model.to(self.backend.name)

    # -- plugins ------------------------------------------------------------------------------
    def _make_plugin_manager(self) -> pluggy.PluginManager:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        from dezero_core.plugin_manager import get_plugin_manager

        glob = get_plugin_manager()
        for plugin in glob.get_plugins():  # process-wide behaviour plugins: called last
            pm.register(plugin, name=glob.get_name(plugin))
        main = distributed.is_main_process(self.communicator)
        for ext in reversed(self.extensions):  # pluggy calls the last registered first
            # a main_process_only extension stays in self.extensions on every rank, unregistered: the
            # checkpoint keys of stateful extensions (by position) then agree across ranks
            if main or not getattr(ext, "main_process_only", False):
                pm.register(ext)
        return pm

    @property
    def hook(self) -> Any:
        """The hook callers (``trainer.hook.dezero_epoch_end(...)``) of this trainer's extensions."""
        return self.plugin_manager.hook

    # -- training -----------------------------------------------------------------------------
    def fit(self, epochs: int) -> list[dict[str, Any]]:
        """Train until ``epochs`` epochs are complete in total; returns :attr:`history`.

        A fresh trainer runs ``epochs`` epochs; a resumed one runs the remaining ones. Call
        ``fit(trainer.epoch + n)`` for ``n`` more.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        self.stop_training = False
        hook = self.hook
        hook.dezero_fit_start(trainer=self, epochs=max(epochs - self.epoch, 0))
        try:
            with using_backend(self.backend.name), self._compute_scope():
                while self.epoch < epochs and not self.stop_training:
                    epoch = self.epoch + 1
                    hook.dezero_epoch_start(trainer=self, epoch=epoch)
                    self._train_epoch(epoch)
                    record = {"epoch": epoch, **self._total(self._sums).means("train")}
                    if self.test_loader is not None:
                        result = self.evaluate(self.test_loader)
                        record.update({f"test_{k}": v for k, v in result.items()})
                    self.epoch, self.iteration, self._sums = epoch, 0, _Sums()
                    self.history.append(record)
                    hook.dezero_epoch_end(trainer=self, epoch=epoch, record=record)
        finally:
            hook.dezero_fit_end(trainer=self)
        return self.history

    def _train_epoch(self, epoch: int) -> None:
        model, loss_fn, optimizer, sums = self.model, self.loss_fn, self.optimizer, self._sums
        batch_end, before_update = self.hook.dezero_batch_end, self.hook.dezero_before_update
        report, inspect_grads = bool(batch_end.get_hookimpls()), bool(before_update.get_hookimpls())
        accuracy_of = None
        # an extension reading gradients needs eager steps, and so does a communicator: its gradient
        # allreduce is not part of a traced graph, so replayed steps would update with local gradients
        compiled = self.compile and not inspect_grads and self.communicator is None

        def step(x: Any, t: Any) -> tuple[Any, Any]:
            nonlocal accuracy_of
            y = model(x)
            if accuracy_of is None and not compiled:  # first batch: the labels against the outputs, first
                accuracy_of = self._accuracy_for(self.train_loader, y, t)
            loss = loss_fn(y, t)
            model.cleargrads()
            loss.backward()
            if inspect_grads:
                before_update(trainer=self, epoch=epoch, iteration=self.iteration + 1, loss=loss)
            optimizer.update()
            return loss, y

        if compiled:  # (traced, the loss checks the labels: before any update too)
            if self._compiled_step is None:
                from dezero_core.static import compile as compile_step

                self._compiled_step = compile_step(step)  # (the closure reads epoch only for hooks)
            step = self._compiled_step
        with using_config("train", True):
            for x, t in self.train_loader:
                x, t = self._on_backend(x), self._on_backend(t)
                loss, y = step(x, t)
                if accuracy_of is None:
                    accuracy_of = self._accuracy_for(self.train_loader, y, t)
                n = t.shape[0]
                loss_value = float(loss.data)
                accuracy = float(accuracy_of(y, t).data) if accuracy_of is not False else None
                sums.add(loss_value, accuracy, n)
                self.iteration += 1
                if report:
                    batch_end(trainer=self, epoch=epoch, iteration=self.iteration, loss=loss_value,
                              accuracy=accuracy, batch_size=n)

    def running_means(self) -> dict[str, float]:
        """The current epoch's mean ``train_loss`` (and ``train_accuracy``) over its batches so far."""
        return self._sums.means("train")

    def evaluate(self, loader: Any) -> dict[str, float]:
        """Mean ``loss`` (and ``accuracy`` for classifiers) over one pass of ``loader``, without
        recording the graph and with layers in test behaviour (no dropout...)."""
        sums = _Sums()
        accuracy_of = None
        with using_backend(self.backend.name), self._compute_scope(), no_grad(), using_config("train", False):
            if getattr(loader, "iteration", 0):
                loader.reset()
            for x, t in loader:
                x, t = self._on_backend(x), self._on_backend(t)
                y = self.model(x)
                if accuracy_of is None:
                    accuracy_of = self._accuracy_for(loader, y, t)
                accuracy = float(accuracy_of(y, t).data) if accuracy_of is not False else None
                sums.add(float(self.loss_fn(y, t).data), accuracy, t.shape[0])
        return self._total(sums).means()

    def _total(self, sums: "_Sums") -> "_Sums":
        """``sums`` added up over every process (itself without a communicator)."""
        if self.communicator is None:
            return sums
        totals = self.communicator.allreduce_sum([getattr(sums, name) for name in _Sums.__slots__])
        return _Sums.from_state(dict(zip(_Sums.__slots__, totals)))

    def _on_backend(self, batch: Any) -> Any:
        """``batch`` on the trainer's backend: the caller's loaders are left as they were (not moved)."""
        if is_array(batch) and backend_of(batch) is not self.backend:
            return move_array(batch, self.backend.name)
        return batch

    def _compute_scope(self) -> ContextManager[Any]:
        """The backend's compute scope (denormals flushed), or nothing when ``flush_denormal`` is off:
        the thread's mode is then the caller's."""
        return self.backend.compute_scope() if self.flush_denormal else contextlib.nullcontext()

    def _accuracy_for(self, loader: Any, y: Any, t: Any) -> Any:
        """The accuracy function for this model and labels (False when they are not a classification),
        after checking once per loader that the labels fit the model's outputs."""
        y_data = getattr(y, "data", y)
        if not (is_array(t) and namespace(t).isdtype(t.dtype, "integral") and y_data.ndim == t.ndim + 1):
            return False
        if id(loader) not in self._checked:
            check_labels(loader, t, y_data.shape[-1])
            self._checked.add(id(loader))
        if self.accuracy_fn is not None:
            return self.accuracy_fn
        from dezero_core import functions

        return functions.accuracy

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs to continue exactly: model, optimizer, position, history,
        partial sums of the current epoch, loaders' order and position, random generators, and the
        state of every extension that has one."""
        return {
            "format": CHECKPOINT_FORMAT,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict() if hasattr(self.optimizer, "state_dict") else None,
            "epoch": self.epoch,
            "iteration": self.iteration,
            "sums": self._sums.state(),
            "history": [dict(r) for r in self.history],
            "loaders": {name: loader.state_dict() for name, loader in self._loaders()},
            "random": dz_random.get_state(),
            "extensions": {key: ext.state_dict() for key, ext in self._stateful_extensions()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the next :meth:`fit` continues where it was taken.

        All or nothing: the model's and the optimizer's parts are checked against this trainer's
        model and optimizer (names, shapes, kinds, optimizer class) before anything is assigned.
        """
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"checkpoint format {state.get('format')!r} is not {CHECKPOINT_FORMAT} "
                                  f"(written by another version of dezero-core)")
        if hasattr(self.model, "check_state_dict"):
            self.model.check_state_dict(state["model"])
        if state["optimizer"] is not None and hasattr(self.optimizer, "check_state_dict"):
            self.optimizer.check_state_dict(state["optimizer"])
        self.model.load_state_dict(state["model"])
        if state["optimizer"] is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.iteration = state["epoch"], state["iteration"]
        self._sums = _Sums.from_state(state["sums"])
        self.history = [dict(r) for r in state["history"]]
        for name, loader in self._loaders():
            if name in state["loaders"]:
                loader.load_state_dict(state["loaders"][name])
        dz_random.set_state(state["random"])
        for key, ext in self._stateful_extensions():
            if key in state["extensions"]:
                ext.load_state_dict(state["extensions"][key])

    def save_checkpoint(self, path: "str | os.PathLike[str]", keep_previous: bool = False) -> None:
        """Write :meth:`state_dict` to ``path`` in one file, atomically (the previous file survives a
        crash or a full disk); ``keep_previous`` keeps the replaced file as ``<path>.prev``.

        With a communicator, every process must call it: rank 0 writes every rank's part."""
        state = self.state_dict()
        if self.communicator is not None:
            state = distributed.gather_rank_states(self.communicator, state)
        if state is not None:
            save_checkpoint(path, state, keep_previous)

    def load_checkpoint(self, path: "str | os.PathLike[str]") -> None:
        """Resume from a file written by :meth:`save_checkpoint`: :class:`CheckpointError` naming the
        file if it is damaged or does not fit this trainer's model and optimizer (nothing changes).

        With a communicator, every process must call it: rank 0 reads the file for all."""
        with using_backend(self.backend.name):
            if self.communicator is None:
                state = load_checkpoint(path)
            else:
                state = distributed.load_on_rank0(self.communicator, lambda: load_checkpoint(path), CheckpointError)
            try:
                self.load_state_dict(state)
            except ValueError as exc:
                raise CheckpointError(f"{os.fspath(path)} does not fit this trainer: {exc}") from exc

    def _loaders(self) -> Iterator[tuple[str, Any]]:
        for name, loader in (("train", self.train_loader), ("test", self.test_loader)):
            if loader is not None and hasattr(loader, "state_dict"):
                yield name, loader

    def _stateful_extensions(self) -> Iterator[tuple[str, Any]]:
        for i, ext in enumerate(self.extensions):
            if hasattr(ext, "state_dict") and hasattr(ext, "load_state_dict"):
                yield f"{i}:{type(ext).__name__}", ext

    # -- report -------------------------------------------------------------------------------
    def plot(self, path: "str | os.PathLike[str]", title: str = "") -> None:
        """Save the loss and accuracy per epoch (train and test) as the PNG ``path``."""
        from dezero_core.training.plot import plot_history

        plot_history(self.history, path, title)


def check_labels(loader: Any, batch_labels: Any, n_classes: int) -> None:
    """Raise if labels fall outside ``[0, n_classes)``: all of the loader's dataset when it offers
    ``targets()``, else the first batch's."""
    dataset = getattr(loader, "dataset", None)
    labels = dataset.targets() if hasattr(dataset, "targets") else None
    labels = batch_labels if labels is None else labels
    xp = namespace(labels)
    low, high = int(xp.min(labels)), int(xp.max(labels))
    if low < 0 or high >= n_classes:
        raise ValueError(
            f"labels range over [{low}, {high}] but the model outputs {n_classes} class scores, so labels "
            f"must lie in [0, {n_classes - 1}]: give the model's last layer {max(high + 1, n_classes)} "
            f"outputs, or fix the labels of {dataset if dataset is not None else 'the dataset'}")


class _Sums:
    """Sample-weighted sums of loss and accuracy over an epoch (kept in checkpoints mid-epoch)."""

    __slots__ = ("loss", "accuracy", "count", "accuracy_count")

    def __init__(self) -> None:
        self.loss = 0.0
        self.accuracy = 0.0
        self.count = 0
        self.accuracy_count = 0

    def add(self, loss: float, accuracy: float | None, n: int) -> None:
        self.loss += loss * n
        self.count += n
        if accuracy is not None:
            self.accuracy += accuracy * n
            self.accuracy_count += n

    def means(self, prefix: str = "") -> dict[str, float]:
        p = f"{prefix}_" if prefix else ""
        out = {f"{p}loss": self.loss / self.count if self.count else float("nan")}
        if self.accuracy_count:
            out[f"{p}accuracy"] = self.accuracy / self.accuracy_count
        return out

    def state(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_state(cls, state: dict[str, float]) -> "_Sums":
        sums = cls()
        for name in cls.__slots__:
            setattr(sums, name, state[name])
        return sums


def _check_communicator(communicator: Any, optimizer: Any) -> Any:
    """``communicator``, after checking that ``optimizer`` averages gradients through it: without
    that, every process would drift off with its own model."""
    if communicator is not None and getattr(optimizer, "communicator", None) is not communicator:
        raise ValueError(f"Trainer(communicator=...) needs an optimizer that averages gradients across the "
                         f"processes of that communicator, got {optimizer!r}: wrap it with "
                         f"dezero_mpi.create_multi_node_optimizer(optimizer, communicator)")
    return communicator


def _instantiate(extension: Any) -> Any:
    """An extension object from an object, or from a name registered under ``dezero.extensions``."""
    if isinstance(extension, str):
        from dezero_core.discovery import registry

        factory = registry("dezero.extensions").get(extension)
        return factory() if isinstance(factory, type) else factory
    return extension


__all__ = ["Trainer", "check_labels"]
