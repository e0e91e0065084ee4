"""``dezero train``: train a registered model on a registered dataset with the Trainer.

With no arguments it trains an MLP on the embedded UCI digits (no network needed) on the best
available backend, shows progress, and writes the loss/accuracy plot and a checkpoint into ``./out``.
Models, datasets and optimizers are looked up by name in their entry-point groups, so a plugin's
model trains with the same command.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from typing import Any

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
    parser.add_argument("--hidden", default=d["hidden"], metavar="SIZES",
                        help=f"hidden layer sizes of an MLP, comma-separated (default {d['hidden']})")
    parser.add_argument("--epochs", type=int, default=d["epochs"], help=f"epochs in total (default {d['epochs']})")
    parser.add_argument("--batch-size", type=int, default=d["batch_size"],
                        help=f"samples per batch (default {d['batch_size']})")
    parser.add_argument("--optimizer", default=d["optimizer"],
                        help=f"a dezero.optimizers name (default {d['optimizer']})")
    parser.add_argument("--lr", type=float, default=d["lr"], help=f"learning rate (default {d['lr']})")
    parser.add_argument("--backend", default=d["backend"],
                        help="a dezero.backends name, or auto: the best usable one (default auto)")
    parser.add_argument("--seed", type=int, default=d["seed"], help=f"random seed (default {d['seed']})")
    parser.add_argument("--out", default=d["out"],
                        help=f"folder for {REPORT}, {CHECKPOINT} and {HISTORY} (default ./{d['out']})")
    parser.add_argument("--resume", nargs="?", const="", default=None, metavar="CHECKPOINT",
                        help=f"continue from a checkpoint (default: OUT/{CHECKPOINT}) up to --epochs")
    parser.add_argument("--checkpoint-every", type=int, default=None, metavar="BATCHES",
                        help="also checkpoint every this many batches, not only after every epoch")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")


def run(args: argparse.Namespace) -> int:
    """Train as ``args`` say; 0 on success, 2 with a one-paragraph error on bad input."""
    from dezero_core.backend.selection import BackendError
    from dezero_core.discovery import PluginError
    from dezero_core.training.checkpoint import CheckpointError

    try:
        return _train(args)
    except (PluginError, BackendError, CheckpointError, ValueError, TypeError, OSError) as exc:
        print(f"dezero train: error: {exc}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace) -> int:
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
    optimizer = _build_optimizer(args.optimizer, args.lr).setup(model)
    loss_fn = F.softmax_cross_entropy if classify else F.mean_squared_error

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, CHECKPOINT)
    report = os.path.join(args.out, REPORT)
    extensions: list[Any] = [] if args.quiet else [ProgressBar()]
    extensions += [PlotReport(report, title=f"{args.model} on {args.dataset} ({backend.name})"),
                   Checkpoint(checkpoint, every_iterations=args.checkpoint_every),
                   RunConfig({"model": args.model, "hidden": args.hidden, "dataset": args.dataset, "n_out": n_out,
                              "input_shape": [int(n) for n in x0.shape[1:]], "input_dtype": str(x0.dtype)})]
    trainer_cls = registry("dezero.trainers").get("Trainer")
    trainer = trainer_cls(model, loss_fn, optimizer, DataLoader(train_set, args.batch_size, seed=args.seed),
                          DataLoader(test_set, max(args.batch_size, 256), shuffle=False),
                          backend=backend, extensions=extensions)
    if args.resume is not None:
        trainer.load_checkpoint(args.resume or checkpoint)
        print(f"resumed from {args.resume or checkpoint} at epoch {trainer.epoch}, batch {trainer.iteration}",
              file=sys.stderr)
    print(f"training {args.model} on {args.dataset} ({len(train_set)} training, {len(test_set)} test samples) "
          f"on {backend.name}, {args.epochs} epochs", file=sys.stderr)
    start = time.perf_counter()
    trainer.fit(args.epochs)
    seconds = time.perf_counter() - start
    if not trainer.history:
        raise ValueError(f"nothing was trained: the checkpoint is already at epoch {trainer.epoch}; "
                         f"pass a larger --epochs")
    with open(os.path.join(args.out, HISTORY), "w") as f:
        json.dump(trainer.history, f, indent=1)
    last = trainer.history[-1]
    metric = (f"test accuracy {last['test_accuracy']:.4f}" if "test_accuracy" in last
              else f"test loss {last['test_loss']:.4g}")
    print(f"{metric} after {trainer.epoch} epochs ({seconds:.1f} s); wrote {report}, {checkpoint}")
    return 0


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
    """The :class:`RunConfig` a checkpoint's state holds (None for a checkpoint written without one)."""
    for key, value in state.get("extensions", {}).items():
        if key.endswith(":" + RunConfig.__name__):
            return value
    return None


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
    params = inspect.signature(factory).parameters
    if "lr" in params:
        return factory(lr=lr)
    if "alpha" in params:
        return factory(alpha=lr)
    return factory()
