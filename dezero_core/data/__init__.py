"""Data for training: ``Dataset``, ``DataLoader``, ``SeqDataLoader`` and transforms.

The datasets themselves (MNIST, CIFAR10, the embedded Digits...) come from the ``dezero.datasets``
entry-point group (the ``dezero-datasets`` distribution); look one up with
``registry("dezero.datasets").get(name)``.
"""
from dezero_core.data import transforms
from dezero_core.data.dataset import Dataset
from dezero_core.data.loader import DataLoader, SeqDataLoader

__all__ = ["DataLoader", "Dataset", "SeqDataLoader", "transforms"]
