"""The datasets: real file formats fetched from a local mirror, the embedded digits, the toy sets,
registration."""
import dataclasses
import gzip
import os
import re
from importlib import resources

import numpy as np
import pytest

import dezero_core.download
from dezero_core.discovery import registry
from dezero_datasets import CIFAR10, CIFAR100, MNIST, Digits, FashionMNIST, Shakespeare, SinCurve, Spiral
import dezero_datasets.download
from dezero_datasets.download import DownloadError, RemoteFile
from dezero_datasets.mnist import read_idx
from dataset_files import cifar_tar_gz, idx_gz, sha256

RNG = np.random.default_rng(0)


def mnist_blobs(n_train, n_test):
    """Generated MNIST-format files (name -> bytes) and the arrays they hold, per split."""
    arrays, blobs = {}, {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = RNG.integers(0, 10, n, dtype=np.uint8)
        arrays[prefix] = images, labels
        blobs[f"{prefix}-images-idx3-ubyte.gz"] = idx_gz(images)
        blobs[f"{prefix}-labels-idx1-ubyte.gz"] = idx_gz(labels)
    return arrays, blobs


def serve_mnist(cls, monkeypatch, mirror, n_train=5, n_test=3):
    """Put generated MNIST-format files on a mirror and point ``cls`` at them; returns the arrays."""
    arrays, blobs = mnist_blobs(n_train, n_test)
    monkeypatch.setattr(cls, "files", {name: mirror(name, blob) for name, blob in blobs.items()})
    monkeypatch.setattr(cls, "system_dirs", ())
    return arrays


def test_every_dataset_is_registered_by_dezero_datasets():
    names = ["CIFAR10", "CIFAR100", "Digits", "FashionMNIST", "MNIST", "Shakespeare", "SinCurve", "Spiral"]
    reg = registry("dezero.datasets")
    for name in names:
        assert reg.entry(name).dist == "dezero-datasets"
    assert reg.get("Digits") is Digits


def test_mnist_downloads_into_its_cache_folder_and_parses_idx_files(mirror, data_home, monkeypatch):
    arrays = serve_mnist(MNIST, monkeypatch, mirror)
    train = MNIST(train=True, transform=None)
    assert sorted(p.name for p in (data_home / "mnist").iterdir()) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    images, labels = arrays["train"]
    assert train.data.shape == (5, 1, 28, 28) and train.data.dtype == np.uint8
    np.testing.assert_array_equal(train.data[:, 0], images)
    np.testing.assert_array_equal(train.label, labels)
    assert train.label.dtype == np.int64
    assert len(MNIST(train=False)) == 3


def test_mnist_default_transform_gives_flat_floats_in_unit_range(mirror, data_home, monkeypatch):
    arrays = serve_mnist(MNIST, monkeypatch, mirror)
    x, t = MNIST()[0:2]
    assert x.shape == (2, 784) and x.dtype == np.float32
    np.testing.assert_allclose(x[1], arrays["train"][0][1].reshape(-1) / 255.0, rtol=1e-6)


def test_fashion_mnist_is_read_from_the_system_folder_without_network(tmp_path, data_home, monkeypatch):
    system = tmp_path / "fashion-mnist"
    system.mkdir()
    _, blobs = mnist_blobs(4, 4)
    for name, blob in blobs.items():
        (system / name).write_bytes(blob)
    unreachable = ("http://127.0.0.1:9/unreachable",)
    monkeypatch.setattr(FashionMNIST, "files", {name: RemoteFile(name, sha256(blob), unreachable)
                                                for name, blob in blobs.items()})
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(system),))
    assert len(FashionMNIST(train=False)) == 4
    assert FashionMNIST.labels()[9] == "Ankle boot"


def test_fashion_mnist_searches_debians_folder_first():
    assert FashionMNIST.system_dirs[0] == "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not os.path.isdir(FashionMNIST.system_dirs[0]), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_accepts_debians_recompressed_files(data_home, monkeypatch):
    # Debian's files are not byte for byte the official ones; unreachable URLs make sure that they
    # are read from the system folder, not downloaded
    monkeypatch.setattr(FashionMNIST, "files", {name: dataclasses.replace(f, urls=("http://127.0.0.1:9/x",))
                                                for name, f in FashionMNIST.files.items()})
    test = FashionMNIST(train=False, transform=None)
    assert test.data.shape == (10000, 1, 28, 28)
    assert test.label[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]  # ankle boot, pullover, trouser...


def test_mnist_offline_error_says_where_to_put_the_files(data_home, monkeypatch):
    name = "train-images-idx3-ubyte.gz"
    monkeypatch.setattr(MNIST, "files", {name: RemoteFile(name, "0" * 64, ("http://127.0.0.1:9/x",))})
    monkeypatch.setattr(MNIST, "system_dirs", ())
    with pytest.raises(DownloadError, match=re.escape(f"put it at {data_home / 'mnist' / name}")):
        MNIST()


def test_the_download_module_keeps_its_names_and_they_are_the_cores():
    # dezero_datasets.download was the datasets' own copy of the download code; it now names the core's
    for name in ("fetch", "RemoteFile", "DownloadError", "ChecksumError", "data_home"):
        assert getattr(dezero_datasets.download, name) is getattr(dezero_core.download, name)


def test_official_checksums_are_full_sha256_digests():
    for cls in (MNIST, FashionMNIST):
        assert len(cls.files) == 4
        assert all(len(f.sha256) == 64 and int(f.sha256, 16) for f in cls.files.values())
    for spec in (CIFAR10.archive, CIFAR100.archive, Shakespeare.file):
        assert len(spec.sha256) == 64 and spec.urls[0].startswith("https://")


def test_read_idx_rejects_a_file_that_is_not_idx(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"<html>not found</html>"))
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)


def test_read_idx_rejects_a_short_body(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(gzip.decompress(idx_gz(np.zeros((2, 3), np.uint8)))[:-1]))
    with pytest.raises(ValueError, match=r"holds 5 bytes of data, but its header \(2, 3\) needs 6"):
        read_idx(path)


def cifar10_batches(per_batch=2):
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]:
        batches[name] = {b"data": RNG.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                         b"labels": list(RNG.integers(0, 10, per_batch))}
    return batches


def test_cifar10_downloads_and_reads_the_pickled_batches(mirror, data_home, monkeypatch):
    batches = cifar10_batches()
    blob = cifar_tar_gz("cifar-10-batches-py", batches)
    monkeypatch.setattr(CIFAR10, "archive", mirror("c10.tar.gz", blob))
    train = CIFAR10(transform=None)
    assert train.data.shape == (10, 3, 32, 32)
    np.testing.assert_array_equal(train.data[2].reshape(-1), batches["data_batch_2"][b"data"][0])
    np.testing.assert_array_equal(train.label[-2:], batches["data_batch_5"][b"labels"])
    test = CIFAR10(train=False)
    assert len(test) == 2
    x, _ = test[0]
    assert x.shape == (3, 32, 32) and x.dtype == np.float32 and float(x.max()) <= 1.0


def test_cifar100_fine_and_coarse_labels(mirror, data_home, monkeypatch):
    parts = {name: {b"data": RNG.integers(0, 256, (3, 3072), dtype=np.uint8),
                    b"fine_labels": [99, 5, 0], b"coarse_labels": [19, 1, 0]} for name in ("train", "test")}
    blob = cifar_tar_gz("cifar-100-python", parts)
    monkeypatch.setattr(CIFAR100, "archive", mirror("c100.tar.gz", blob))
    assert CIFAR100().label.tolist() == [99, 5, 0]
    coarse = CIFAR100(train=False, label_type="coarse")
    assert coarse.label.tolist() == [19, 1, 0] and len(coarse.classes) == 20


def test_cifar_archive_without_the_batches_is_an_error(mirror, data_home, monkeypatch):
    blob = cifar_tar_gz("elsewhere", {"x": {}})
    monkeypatch.setattr(CIFAR10, "archive", mirror("c.tar.gz", blob))
    with pytest.raises(ValueError, match="not a CIFAR python archive"):
        CIFAR10()


def test_shakespeare_gives_character_ids_in_order_of_appearance(mirror, data_home, monkeypatch):
    text = "To be, or not to be"
    blob = text.encode()
    monkeypatch.setattr(Shakespeare, "file", mirror("s.txt", blob))
    ds = Shakespeare()
    assert "".join(ds.id_to_char[i] for i in range(4)) == "To b"
    np.testing.assert_array_equal(ds.data[:6], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(ds.label, ds.data.tolist()[1:] + [ds.char_to_id["e"]])
    assert "".join(ds.id_to_char[int(i)] for i in ds.data) == text[:-1]


def test_digits_are_embedded_with_a_fixed_split():
    train, test = Digits(transform=None), Digits(train=False, transform=None)
    assert (len(train), len(test)) == (1438, 359)
    assert train.data.shape == (1438, 1, 8, 8) and int(train.data.max()) == 16
    assert sorted(set(test.label.tolist())) == list(range(10))


def test_digits_default_transform_gives_64_floats_in_unit_range():
    x, t = Digits()[0:5]
    assert x.shape == (5, 64) and x.dtype == np.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert t.dtype == np.int64


def test_digits_ship_with_their_licence_attribution():
    source = resources.files("dezero_datasets").joinpath("data", "SOURCE.md").read_text()
    assert "CC BY 4.0" in source and "Alpaydin" in source


def test_spiral_has_three_arms_of_100_points():
    ds = Spiral()
    assert ds.data.shape == (300, 2) and ds.data.dtype == np.float32
    assert np.bincount(ds.label).tolist() == [100, 100, 100]
    assert not np.array_equal(Spiral(train=False).data, ds.data)


def test_spiral_matches_the_books_first_point():
    # the book's get_spiral(train=True)[0][0] (np.random.seed(1984), then randn per point and a permutation)
    np.testing.assert_allclose(Spiral().data[0], [-0.13981389, -0.00721657], rtol=1e-6)


def test_sin_curve_labels_are_the_next_values():
    ds = SinCurve()
    assert ds.data.shape == (999, 1) and ds.data.dtype == np.float32
    np.testing.assert_array_equal(ds.label[:-1], ds.data[1:])
    np.testing.assert_allclose(SinCurve(train=False).data[:, 0], np.cos(np.linspace(0, 2 * np.pi, 1000))[:-1],
                               rtol=1e-6, atol=1e-7)
