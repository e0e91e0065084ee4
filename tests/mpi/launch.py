"""Run a program under ``mpiexec`` from a test: the venv's mpiexec, this interpreter, a time limit.

The launch gets its own process group, so that a run past its limit is killed whole (mpiexec, its
proxies and every rank), never left behind on the machine.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
PROGRAMS = HERE / "programs"
#: the mpiexec that comes with the venv's MPI (the mpich wheel puts it beside python)
MPIEXEC = Path(sys.executable).parent / "mpiexec"


def mpiexec() -> str:
    """The venv's mpiexec (not one on a system PATH: it must match mpi4py's MPI library)."""
    return str(MPIEXEC)


@dataclass
class Run:
    """What a launch did: exit status, output, and how long it took."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


def launch(n: int, args: list[str], timeout: float, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> Run:
    """``mpiexec -n n ARGS``; ``args[0]`` may be ``"python"`` for this interpreter. Raises
    ``subprocess.TimeoutExpired`` (after killing every process of the launch) past ``timeout``."""
    args = [sys.executable if a == "python" else a for a in args]
    full_env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg",
                    PYTHONPATH=os.pathsep.join([str(PROGRAMS), os.environ.get("PYTHONPATH", "")]))
    full_env.update(env or {})
    start = time.perf_counter()
    proc = subprocess.Popen([mpiexec(), "-n", str(n), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, cwd=cwd, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return Run(proc.returncode, out, err, time.perf_counter() - start)
