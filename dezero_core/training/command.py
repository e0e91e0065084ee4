"""``dezero train``: train a registered model on a registered dataset with the Trainer.

With no arguments it trains an MLP on the embedded UCI digits (no network needed) on the best
available backend, shows progress, and writes the loss/accuracy plot and a checkpoint into ``./out``.
Models, datasets and optimizers are looked up by name in their entry-point groups, so a plugin's
model trains with the same command.
"""
from __future__ import annotations

import argparse
import math
import shlex
import tempfile
import contextlib
import inspect
import json
import os
import sys
import time
from typing import Any, Callable

from dezero_core.data.arrays import namespace

HELP = "train a registered model on a registered dataset (default: an MLP on the embedded digits)"

DEFAULTS = {"dataset": "Digits", "model": "MLP", "epochs": 30, "batch_size": 32, "optimizer": "Adam",
            "lr": 0.001, "hidden": "128", "backend": "auto", "seed": 0, "out": "out"}
CHECKPOINT = "checkpoint.dzc"
REPORT = "report.png"
HISTORY = "history.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``dezero train``."""
    d = DEFAULTS
    parser.add_argument("--dataset", default=d["dataset"], help=f"a dezero.datasets name (default {d['dataset']})")
    parser.add_argument("--model", default=d["model"], help=f"a dezero.models name (default {d['model']})")
    parser.add_argument("--hidden", default=d["hidden"], metavar="SIZES", type=hidden_sizes,
                        help=f"hidden layer sizes of an MLP, comma-separated (default {d['hidden']})")
    parser.add_argument("--epochs", type=at_least(1), default=d["epochs"], help=f"epochs in total (default {d['epochs']})")
    parser.add_argument("--batch-size", type=at_least(1), default=d["batch_size"],
                        help=f"samples per batch (default {d['batch_size']})")
    parser.add_argument("--optimizer", default=d["optimizer"],
                        help=f"a dezero.optimizers name (default {d['optimizer']})")
    parser.add_argument("--lr", type=learning_rate, default=None,
                        help=f"learning rate (default {d['lr']}; on --resume, the checkpoint's)")
    parser.add_argument("--backend", default=d["backend"],
                        help="a dezero.backends name, or auto: the best usable one (default auto)")
    parser.add_argument("--seed", type=at_least(0), default=d["seed"], help=f"random seed (default {d['seed']})")
    parser.add_argument("--out", default=d["out"],
                        help=f"folder for {REPORT}, {CHECKPOINT} and {HISTORY} (default ./{d['out']})")
    parser.add_argument("--resume", nargs="?", const="", default=None, metavar="CHECKPOINT",
                        help=f"continue from a checkpoint (default: OUT/{CHECKPOINT}) up to --epochs")
    parser.add_argument("--checkpoint-every", type=at_least(1), default=None, metavar="BATCHES",
                        help="also checkpoint every this many batches, not only after every epoch")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    parser.add_argument("--compile", action="store_true",
                        help="trace the training step once into a static graph and replay it (Define-and-Run)")
    parser.add_argument("--mpi", action="store_true",
                        help="one of several processes under mpiexec (plugin dezero-mpi): each trains on its share "
                             "of every batch with gradients averaged; --batch-size stays the global batch")


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low`` (argparse names the flag in its error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def learning_rate(text: str) -> float:
    """An argparse type: a finite positive number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite positive number, got {text}")
    return value


def hidden_sizes(text: str) -> str:
    """An argparse type: comma-separated positive integers (kept as written, for the run's record)."""
    parts = [s.strip() for s in text.split(",") if s.strip()]
    if not parts or not all(s.isdigit() and int(s) > 0 for s in parts):
        raise argparse.ArgumentTypeError(f"must be comma-separated positive integers such as 128 or 64,32; "
                                         f"got {text!r}")
    return text


def run(args: argparse.Namespace) -> int:
    """Train as ``args`` say; 0 on success, 2 with a one-paragraph error on bad input."""
    from dezero_core.backend.selection import BackendError
    from dezero_core.discovery import PluginError
    from dezero_core.training.checkpoint import CheckpointError

    try:
        comm = _communicator() if args.mpi else None
    except PluginError as exc:
        print(f"dezero train: error: {exc}", file=sys.stderr)
        return 2
    # under MPI a failure on one process must end them all, or the others wait forever
    with comm.abort_on_error() if comm is not None else contextlib.nullcontext():
        try:
            return _train(args, comm)
        except (PluginError, BackendError, CheckpointError, ValueError, TypeError, OSError) as exc:
            print(f"dezero train: error: {exc}", file=sys.stderr)
            if comm is not None and comm.size > 1:
                raise SystemExit(2) from None
            return 2


def _train(args: argparse.Namespace, comm: Any = None) -> int:
    import dezero_core
    from dezero_core import functions as F
    from dezero_core.data import DataLoader
    from dezero_core.discovery import registry
    from dezero_core.training import Checkpoint, PlotReport, ProgressBar

    if args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    backend = dezero_core.set_backend(args.backend)
    dezero_core.random.seed(args.seed)
    dataset_cls = registry("dezero.datasets").get(args.dataset)
    train_set, test_set = dataset_cls(train=True), dataset_cls(train=False)
    x0, t0 = train_set[0:1]
    classify = _is_integral(t0)
    n_out = _n_classes(train_set) if classify else int(_prod(t0.shape[1:]))
    model = _build_model(args.model, args.hidden, n_out, x0)
    optimizer = _build_optimizer(args.optimizer, DEFAULTS["lr"] if args.lr is None else args.lr).setup(model)
    loss_fn = F.softmax_cross_entropy if classify else F.mean_squared_error
    main, test_part = comm is None or comm.rank == 0, test_set
    train_loader = DataLoader(train_set, args.batch_size, seed=args.seed)
    if comm is not None:
        optimizer, train_loader, test_part = _data_parallel(comm, model, optimizer, train_loader, test_set, x0)

    _check_writable(args.out)
    checkpoint = os.path.join(args.out, CHECKPOINT)
    report = os.path.join(args.out, REPORT)
    extensions: list[Any] = [] if args.quiet else [ProgressBar()]
    extensions += [PlotReport(report, title=f"{args.model} on {args.dataset} ({backend.name})"),
                   Checkpoint(checkpoint, every_iterations=args.checkpoint_every),
                   RunConfig({"model": args.model, "hidden": args.hidden, "dataset": args.dataset, "n_out": n_out,
                              "input_shape": [int(n) for n in x0.shape[1:]],
                              "input_dtype": str(x0.dtype).rsplit(".", 1)[-1]})]  # (torch's str is torch.float32)
    trainer_cls = registry("dezero.trainers").get("Trainer")
    # seeded, the test loader draws nothing from the global generator: lazy layers initialise from the
    # same random stream whether they are created by the first batch or by --mpi's broadcast
    test_loader = DataLoader(test_part, max(args.batch_size, 256), shuffle=False, seed=args.seed)
    trainer = trainer_cls(model, loss_fn, optimizer, train_loader, test_loader,
                          backend=backend, extensions=extensions, **({"communicator": comm} if comm else {}),
                          **({"compile": True} if args.compile else {}))
    if args.resume is not None:
        trainer.load_checkpoint(args.resume or checkpoint)
        if trainer.epoch >= args.epochs:
            print(f"dezero train: nothing to train: {args.resume or checkpoint} already holds {trainer.epoch} "
                  f"epochs and --epochs is {args.epochs}; pass a larger --epochs to train further", file=sys.stderr)
            return 0
        _apply_learning_rate(trainer.optimizer, args.lr)
    if args.resume is not None and main:
        print(f"resumed from {args.resume or checkpoint} at epoch {trainer.epoch}, batch {trainer.iteration}",
              file=sys.stderr)
    if main:
        print(f"training {args.model} on {args.dataset} ({len(train_set)} training, {len(test_set)} test samples) "
              f"on {backend.name}{f' in {comm.size} processes' if comm else ''}, {args.epochs} epochs", file=sys.stderr)
    start, started = time.perf_counter(), time.time()
    try:
        trainer.fit(args.epochs)
    except KeyboardInterrupt:
        print(_interrupted(trainer, args, checkpoint, started), file=sys.stderr)
        return 130
    seconds = time.perf_counter() - start
    if not trainer.history:
        raise ValueError(f"nothing was trained: the checkpoint is already at epoch {trainer.epoch}; "
                         f"pass a larger --epochs")
    if not main:
        return 0
    from dezero_core.serialization import atomic_write

    history = json.dumps(trainer.history, indent=1).encode()
    atomic_write(os.path.join(args.out, HISTORY), lambda f: f.write(history))  # (an interrupted write keeps the last)
    last = trainer.history[-1]
    metric = (f"test accuracy {last['test_accuracy']:.4f}" if "test_accuracy" in last
              else f"test loss {last['test_loss']:.4g}")
    print(f"{metric} after {trainer.epoch} epochs ({seconds:.1f} s); wrote {report}, {checkpoint}")
    return 0


def _check_writable(folder: str) -> None:
    """Create ``folder`` and make sure files can be written there, before any training."""
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(f"--out {folder}: cannot write there ({exc.strerror or exc}); choose another --out "
                         f"or make {os.path.abspath(folder)} writable") from None


def _apply_learning_rate(optimizer: Any, lr: float | None) -> None:
    """On resume, ``--lr`` replaces the checkpoint's learning rate, and either way the run says which."""
    name = next((n for n in ("lr", "alpha") if n in getattr(optimizer, "hyperparams", ())), None)
    if name is None:
        if lr is not None:
            print(f"dezero train: --lr {lr} ignored: {type(optimizer).__name__} has no learning rate", file=sys.stderr)
        return
    saved = getattr(optimizer, name)
    if lr is None or lr == saved:
        print(f"dezero train: learning rate {saved} (from the checkpoint)", file=sys.stderr)
        return
    setattr(optimizer, name, lr)
    print(f"dezero train: learning rate {lr} (from --lr; the checkpoint had {saved})", file=sys.stderr)


def _interrupted(trainer: Any, args: argparse.Namespace, checkpoint: str, started: float) -> str:
    """The one line printed on Ctrl-C: where training stopped, the last checkpoint and how to resume."""
    from dezero_core.training.checkpoint import CheckpointError, load_checkpoint

    where = f"interrupted in epoch {trainer.epoch + 1} after {trainer.iteration} batches"
    resumed = args.resume is not None and os.path.abspath(args.resume or checkpoint) == os.path.abspath(checkpoint)
    try:
        fresh = os.path.getmtime(checkpoint) >= started or resumed
        state = load_checkpoint(checkpoint) if fresh else None
    except (OSError, CheckpointError):
        state = None
    if state is None:
        return f"dezero train: {where}; no checkpoint was written yet: start again with {_command_line(args, None)}"
    return (f"dezero train: {where}; the last checkpoint, {checkpoint}, holds epoch {state['epoch']} batch "
            f"{state['iteration']}: resume with {_command_line(args, checkpoint)}")


def _command_line(args: argparse.Namespace, resume: str | None) -> str:
    """The ``dezero train`` command of ``args`` (options that differ from the defaults), resuming
    from ``resume`` when given."""
    words = ["dezero", "train"]
    for key, value in sorted(vars(args).items()):
        if key in ("resume", "quiet") or value is None or value is False or value == DEFAULTS.get(key):
            continue
        words += [f"--{key.replace('_', '-')}"] + ([] if value is True else [str(value)])
    if resume is not None:
        words += ["--resume", resume]
    return " ".join(shlex.quote(w) for w in words)


class RunConfig:
    """The run's configuration (model, hidden sizes, dataset, output size, input shape and dtype),
    kept in every checkpoint as an extension's state, so that ``dezero export`` can rebuild the model."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = dict(config)

    def state_dict(self) -> dict[str, Any]:
        """The configuration, as the checkpoint stores it."""
        return dict(self.config)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Keep the configuration of this run (a resumed run records its own)."""


def run_config(state: dict[str, Any]) -> dict[str, Any] | None:
    """The :class:`RunConfig` a checkpoint's state holds (None for a checkpoint written without one);
    a ValueError naming the field when it is damaged (a checkpoint is a file nobody has to trust)."""
    for key, value in state.get("extensions", {}).items():
        if key.endswith(":" + RunConfig.__name__):
            _check_run_config(value)
            return value
    return None


def _check_run_config(config: Any) -> None:
    from dezero_core.backend.host_io import DTYPES

    def natural(n: Any) -> bool:
        return isinstance(n, int) and not isinstance(n, bool) and n > 0

    checks = {"model": lambda v: isinstance(v, str), "hidden": lambda v: isinstance(v, str),
              "n_out": natural, "input_shape": lambda v: isinstance(v, list) and all(natural(n) for n in v),
              "input_dtype": lambda v: v in DTYPES}
    if not isinstance(config, dict):
        raise ValueError(f"the checkpoint's run configuration is damaged: a {type(config).__name__}, not a dict")
    bad = [f"{key}={config.get(key, '(missing)')!r}" for key, ok in checks.items() if key not in config or not ok(config[key])]
    if bad:
        raise ValueError(f"the checkpoint's run configuration is damaged: {', '.join(bad)} (written by 'dezero "
                         f"train' it names a model, its hidden sizes, output size, input shape and dtype)")


def build_model(config: dict[str, Any]) -> Any:
    """The model a :class:`RunConfig` describes, run once on zeros so that lazy layers get their shapes."""
    from dezero_core.backend.selection import get_backend
    from dezero_core.config import no_grad, test_mode

    xp = get_backend().xp
    sample = xp.zeros((1, *config["input_shape"]), dtype=getattr(xp, config["input_dtype"]))
    model = _build_model(config["model"], config["hidden"], config["n_out"], sample)
    with test_mode(), no_grad():
        model(sample)
    return model


def _communicator() -> Any:
    """The MPI communicator of ``--mpi``, from the dezero-mpi plugin."""
    from dezero_core.discovery import PluginError

    try:
        import dezero_mpi
    except ImportError as exc:
        raise PluginError(f"--mpi needs the dezero-mpi plugin ({exc}): pip install 'dezero-mpi[mpich]', then "
                          f"launch with mpiexec -n N dezero train --mpi") from None
    return dezero_mpi.create_communicator()


def _data_parallel(comm: Any, model: Any, optimizer: Any, train_loader: Any, test_set: Any,
                   x0: Any) -> tuple[Any, Any, Any]:
    """``--mpi``: every process starts from rank 0's parameters, trains on its share of each global
    batch with gradients averaged (the run one process would do, to rounding), and evaluates its
    part of the test set."""
    import dezero_mpi
    from dezero_core.config import no_grad, test_mode

    with test_mode(), no_grad():
        model(x0)  # lazy layers create their parameters now, so that there is something to broadcast
    comm.bcast_data(model)
    # sharded where it works (one machine): this loop writes the parameters through the optimizer only
    return (dezero_mpi.create_multi_node_optimizer(optimizer, comm, shard_update=None),
            dezero_mpi.BatchShareLoader(train_loader, comm),
            dezero_mpi.scatter_dataset(test_set, comm, shuffle=False, force_equal_length=False))  # exact means


def _is_integral(array: Any) -> bool:
    return namespace(array).isdtype(array.dtype, "integral")


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _n_classes(dataset: Any) -> int:
    classes = getattr(dataset, "classes", None)
    if classes:
        return len(classes)
    labels = dataset.targets()
    return int(namespace(labels).max(labels)) + 1


def _build_model(name: str, hidden: str, n_out: int, sample: Any) -> Any:
    """The model ``name`` with ``n_out`` outputs: an MLP-like model (``fc_output_sizes``) gets the
    hidden sizes and ReLU; another takes its output size under a usual keyword, or no argument."""
    from dezero_core import functions as F
    from dezero_core.discovery import registry

    factory = registry("dezero.models").get(name)
    _refuse_base_class(factory, "forward", "--model", "dezero.models")
    params = inspect.signature(factory).parameters
    if "fc_output_sizes" in params:
        if sample.ndim != 2 or not namespace(sample).isdtype(sample.dtype, "real floating"):
            raise ValueError(f"{name} needs flat float features, but the dataset gives samples of dtype "
                             f"{sample.dtype} and shape {tuple(sample.shape[1:])}; choose another --model")
        try:
            sizes = tuple(int(s) for s in hidden.split(",") if s.strip())
        except ValueError:
            raise ValueError(f"--hidden must be comma-separated integers, got {hidden!r}") from None
        kwargs = {"activation": F.relu} if "activation" in params else {}
        return factory(sizes + (n_out,), **kwargs)
    for key in ("out_size", "n_classes", "num_classes", "out_features"):
        if key in params:
            return factory(**{key: n_out})
    required = [p for p in params.values() if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if required:
        raise ValueError(f"model {name}{inspect.signature(factory)} needs arguments that dezero train cannot "
                         f"guess ({', '.join(p.name for p in required)}); build it in Python and use Trainer")
    return factory()


def _build_optimizer(name: str, lr: float) -> Any:
    from dezero_core.discovery import registry

    factory = registry("dezero.optimizers").get(name)
    _refuse_base_class(factory, "update_one", "--optimizer", "dezero.optimizers")
    params = inspect.signature(factory).parameters
    if "lr" in params:
        return factory(lr=lr)
    if "alpha" in params:
        return factory(alpha=lr)
    return factory()


def _refuse_base_class(factory: Any, method: str, flag: str, group: str) -> None:
    """ValueError when ``factory`` is a base class (one that leaves ``method`` to its subclasses,
    such as Model or Optimizer), listing what can be chosen instead."""
    from dezero_core.discovery import registry
    from dezero_core.layers.layer import Layer
    from dezero_core.optimizers.optimizer import Optimizer

    bases = {getattr(Layer, "forward"), getattr(Optimizer, "update_one")}
    if isinstance(factory, type) and getattr(factory, method, None) in bases:
        others = [n for n in registry(group).names() if n != factory.__name__]
        raise ValueError(f"{flag} {factory.__name__} is the base class that {group} entries build on, not "
                         f"something to train with; choose one of: {', '.join(others)}")
