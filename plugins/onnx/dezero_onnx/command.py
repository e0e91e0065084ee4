"""``dezero export CHECKPOINT -o model.onnx``: the model a ``dezero train`` checkpoint holds, as ONNX.

The model is rebuilt from the configuration the checkpoint records (model, hidden sizes, output
size, input shape), its weights loaded, then exported with a dynamic batch axis.
"""
from __future__ import annotations

import argparse
import sys

HELP = "export the model of a 'dezero train' checkpoint as an ONNX file (dezero-onnx)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``dezero export``."""
    from dezero_onnx.export import DEFAULT_OPSET

    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint written by 'dezero train'")
    parser.add_argument("-o", "--output", default="model.onnx", help="the ONNX file to write (default model.onnx)")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    parser.add_argument("--static-batch", action="store_true", help="fix the batch size at 1 instead of dynamic")


def run(args: argparse.Namespace) -> int:
    """Export as ``args`` say; 0 on success, 2 with a one-line error on bad input."""
    from dezero_core.discovery import PluginError
    from dezero_core.training.checkpoint import CheckpointError

    from dezero_onnx.errors import ExportError

    try:
        model, sample = _restore(args.checkpoint)
        from dezero_onnx.export import export

        export(model, sample, args.output, opset=args.opset, dynamic_axes=None if args.static_batch else "first")
    except (PluginError, CheckpointError, ExportError, ValueError, TypeError, OSError) as exc:
        print(f"dezero export: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} (opset {args.opset}, input shape {('batch',) + tuple(sample.shape[1:])})")
    return 0


def _restore(path: str):
    """The checkpoint's model with its trained weights, and a one-sample example input."""
    from dezero_core.training.checkpoint import CheckpointError, load_checkpoint
    from dezero_core.training.command import build_model, run_config

    state = load_checkpoint(path)
    config = run_config(state)
    if config is None:
        raise CheckpointError(f"{path} records no run configuration (it was not written by 'dezero train', or "
                              f"by an older version); export the model from Python with dezero_onnx.export")
    model = build_model(config)
    model.load_state_dict(state["model"])
    from dezero_core.backend.selection import get_backend

    xp = get_backend().xp
    return model, xp.zeros((1, *config["input_shape"]), dtype=getattr(xp, config["input_dtype"]))
