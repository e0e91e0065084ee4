"""The conformance suite checks every registered function or says why not: a name two distributions
claim fails bare and is checked per claimant; a disabled built-in is a listed skip, never a gap."""
from __future__ import annotations

import os
import subprocess
import sys

from dezero_core.testing.test_functions import checked_names


def test_each_claimant_of_a_conflicting_name_is_checked_and_the_bare_name_too(install) -> None:
    install("dezero-rival", "1.0", {"dezero.functions": {"relu": "rival_mod:relu"}},
            {"rival_mod": "def relu(x):\n    return x\n"})
    names = dict(checked_names())
    assert {"relu", "dezero-core:relu", "dezero-rival:relu"} <= names.keys()
    assert names["relu"] is names["dezero-core:relu"] is names["dezero-rival:relu"] is None


def test_a_disabled_builtin_is_listed_with_the_reason_it_is_not_checked(disable) -> None:
    disable("dezero-core:relu")
    names = dict(checked_names())
    assert "relu" not in names
    assert names["dezero-core:relu"] == ("dezero-core:relu is disabled by DEZERO_DISABLED_PLUGINS="
                                         "dezero-core:relu: its checks do not run")


def test_the_suite_reports_a_disabled_builtins_checks_as_skipped() -> None:
    env = {**os.environ, "DEZERO_DISABLED_PLUGINS": "dezero-core:relu", "DEZERO_PLUGIN_ERRORS": "warn"}
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "dezero_core.testing.test_functions",
                           "--dezero-backend=numpy", "-q", "-rs", "-p", "no:cacheprovider", "-k", "dezero-core:relu"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "4 skipped" in done.stdout  # declares_samples, forward, backward, double_backward
    assert "dezero-core:relu is disabled by DEZERO_DISABLED_PLUGINS=dezero-core:relu" in done.stdout
