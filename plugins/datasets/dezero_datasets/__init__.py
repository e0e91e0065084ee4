"""dezero-datasets: the datasets of the book for dezero_core, registered under ``dezero.datasets``.

``Digits`` is embedded (no network); the others download once into ``$DEZERO_DATA_HOME`` (default
``~/.cache/dezero``), checked against SHA-256, from the official URL or a mirror.
"""
from dezero_datasets.cifar import CIFAR10, CIFAR100
from dezero_datasets.digits import Digits
from dezero_core.download import ChecksumError, DownloadError, RemoteFile, data_home, fetch
from dezero_datasets.mnist import MNIST, FashionMNIST
from dezero_datasets.text import Shakespeare
from dezero_datasets.toy import SinCurve, Spiral

__all__ = ["CIFAR10", "CIFAR100", "ChecksumError", "Digits", "DownloadError", "FashionMNIST", "MNIST",
           "RemoteFile", "Shakespeare", "SinCurve", "Spiral", "data_home", "fetch"]
