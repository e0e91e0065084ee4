"""The conformance suite: ``pytest --pyargs dezero_core.testing --dezero-backend=NAME``.

- :mod:`~dezero_core.functions.spec` (beside the functions): what a function declares to be checked on (``@checked``).
- :mod:`~dezero_core.testing.references`: independent numpy references of the built-in functions.
- :mod:`~dezero_core.testing.harness`: sample inputs, evaluation on a backend, numerical derivatives.
- :mod:`~dezero_core.testing.plugin`: the pytest plugin (``--dezero-backend``, the ``dezero_backend``
  fixture that runs a test once per selected backend, the per-backend summary).
- ``test_protocol.py`` and ``test_functions.py``: the suite itself.

Importing this package is cheap: no pytest, no numpy.
"""
