"""Running ``dezero train`` in process, as the command-line tests do."""
from __future__ import annotations

import argparse

from dezero_core.training import command


def train(*argv: str) -> int:
    """The exit status of ``dezero train ARGV`` (argparse's refusals included: status 2)."""
    parser = argparse.ArgumentParser(prog="dezero train")
    command.add_arguments(parser)
    try:
        return command.run(parser.parse_args(list(argv)))
    except SystemExit as exc:
        return exc.code
