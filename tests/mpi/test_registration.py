"""dezero-mpi is found through the entry points like any plugin, and importing it starts no MPI."""
import subprocess
import sys

import dezero_mpi
from dezero_core.discovery import registry


def test_the_multi_node_optimizer_is_registered():
    assert registry("dezero.optimizers").get("MultiNodeOptimizer") is dezero_mpi.MultiNodeOptimizer
    listing = subprocess.run([sys.executable, "-m", "dezero_core", "plugins", "--group", "optimizers"],
                             capture_output=True, text=True, timeout=60)
    assert any(line.split()[:2] == ["MultiNodeOptimizer", "dezero-mpi"] for line in listing.stdout.splitlines()), \
        listing.stdout


def test_importing_the_plugin_does_not_start_mpi():
    probe = "import sys, dezero_mpi; print('mpi4py.MPI' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60).stdout.strip() == "False"
