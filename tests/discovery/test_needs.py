"""A test folder whose distribution is missing is skipped module by module, naming the distribution."""
from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
from dezero_core.testing.needs import skip_modules_without
pytest_pycollect_makemodule = skip_modules_without({dist!r}, [{module!r}], {how!r})
"""


def test_a_folder_needing_a_missing_distribution_skips_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.format(dist="dezero-nowhere", module="dezero_nowhere", how="pip install it"))
    pytester.makepyfile(test_a="import dezero_nowhere\n\ndef test_x():\n    pass\n",
                        test_b="def test_y():\n    pass\n")
    result = pytester.runpytest("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*needs dezero-nowhere (dezero_nowhere not installed): pip install it*"])


def test_a_folder_whose_distribution_is_installed_runs(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.format(dist="dezero-core", module="dezero_core", how="pip install ."))
    pytester.makepyfile(test_a="def test_x():\n    pass\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
