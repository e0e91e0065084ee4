"""The conformance suite: ``pytest --pyargs dezero_core.testing --dezero-backend=NAME``.

Importing this package is cheap (no pytest); :mod:`dezero_core.testing.spec` holds what a function
declares to be checked on.
"""
