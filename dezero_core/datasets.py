"""Datasets by their registered name: ``dz.datasets.MNIST``, ``dz.datasets.Digits``, a plugin's by its
entry-point name.

dezero-core has no datasets of its own (``dezero_core.data`` holds ``Dataset`` and ``DataLoader``);
every name here is looked up in the ``dezero.datasets`` entry-point group on first access (the
``dezero-datasets`` distribution registers the book's), exactly as the layers' and functions' names
are (:mod:`dezero_core.discovery.lazy`).
"""
from __future__ import annotations

from dezero_core.discovery.lazy import lazy_module_attributes

__getattr__, __dir__ = lazy_module_attributes("dezero.datasets", namespace=globals())
