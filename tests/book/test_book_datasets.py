"""The book's dezero.datasets beyond the data: MNIST.show's image grid, the npz cache helpers and
datasets that serve their own samples (the book's BigData)."""
from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

import dezero
from dezero import DataLoader
from dezero.datasets import load_cache_npz, save_cache_npz
from dezero_datasets.download import RemoteFile


def idx_gz(array: np.ndarray) -> bytes:
    """``array`` (uint8) as a gzip-compressed IDX file, as MNIST ships them."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch) -> np.ndarray:
    """Five 28x28 training images as MNIST's cached files (no download); returns the images."""
    monkeypatch.setenv("DEZERO_DATA_HOME", str(tmp_path))
    images = np.random.RandomState(0).randint(0, 256, (5, 28, 28)).astype(np.uint8)
    files = {"train-images-idx3-ubyte.gz": idx_gz(images),
             "train-labels-idx1-ubyte.gz": idx_gz(np.arange(5, dtype=np.uint8))}
    (tmp_path / "mnist").mkdir()
    for name, blob in files.items():
        (tmp_path / "mnist" / name).write_bytes(blob)
    monkeypatch.setattr(dezero.datasets.MNIST, "files", {
        name: RemoteFile(name, hashlib.sha256(blob).hexdigest(), ("http://127.0.0.1:9/unreachable",))
        for name, blob in files.items()})
    return images


def test_mnist_show_draws_the_books_grid(tiny_mnist, monkeypatch) -> None:
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    train_set = dezero.datasets.MNIST(train=True)
    np.random.seed(1)
    picks = [np.random.randint(0, 4) for _ in range(6)]  # the book's randint(0, len - 1), row by row
    expected = np.zeros((2 * 28, 3 * 28))
    for k, i in enumerate(picks):
        r, c = divmod(k, 3)
        expected[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = tiny_mnist[i]
    np.random.seed(1)
    try:
        train_set.show(row=2, col=3)
        assert len(shown) == 1
        (image,) = shown[0].axes[0].get_images()
        np.testing.assert_array_equal(image.get_array(), expected)
        assert image.get_cmap().name == "gray" and not shown[0].axes[0].axison
    finally:
        plt.close("all")


def test_cifar_grid_is_channels_last_in_unit_range() -> None:
    data = np.random.RandomState(0).randint(0, 256, (3, 3, 32, 32)).astype(np.uint8)
    cifar = dezero.datasets.CIFAR10.__new__(dezero.datasets.CIFAR10)  # (no download: only the grid)
    cifar.data = data
    np.random.seed(2)
    first = np.random.randint(0, 2)
    np.random.seed(2)
    grid = cifar.image_grid(row=1, col=1)
    np.testing.assert_array_equal(grid, data[first].transpose(1, 2, 0) / 255)


def test_cache_npz_round_trip(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dezero.utils, "cache_dir", str(tmp_path))
    url = "https://example.org/data/cifar-10-python.tar.gz"
    assert load_cache_npz(url, train=True) == (None, None)
    data, label = np.arange(12.0).reshape(3, 4), np.array([2, 0, 1])
    path = save_cache_npz(data, label, url, train=True)
    assert path == str(tmp_path / "cifar-10-python.tar.gz.train.npz")
    loaded_data, loaded_label = load_cache_npz(url, train=True)
    np.testing.assert_array_equal(loaded_data, data)
    np.testing.assert_array_equal(loaded_label, label)
    assert load_cache_npz(url, train=False) == (None, None)  # the test split is another file
    assert save_cache_npz(data * 0, label, url, train=True) is None  # an existing cache is kept
    np.testing.assert_array_equal(load_cache_npz(url, train=True)[0], data)


def test_save_cache_npz_leaves_no_file_when_interrupted(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dezero.utils, "cache_dir", str(tmp_path))

    class Failing:
        def __array__(self, *args, **kwargs):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_cache_npz(np.ones(3), Failing(), "name")
    assert list(tmp_path.iterdir()) == []


def test_dataset_serving_its_own_samples_is_gathered_one_at_a_time(tmp_path, monkeypatch) -> None:
    # step 49's BigData: samples read from data/{i}.npy and label/{i}.npy when asked for
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "label").mkdir()
    for i in range(4):
        np.save(tmp_path / "data" / f"{i}.npy", np.full(2, float(i)))
        np.save(tmp_path / "label" / f"{i}.npy", np.array(i % 2))

    class FourFiles(dezero.datasets.BigData):
        def __len__(self):
            return 4

    assert len(dezero.datasets.BigData()) == 1000000
    dataset = FourFiles()
    assert dataset.data is None
    x, t = dataset[2]
    np.testing.assert_array_equal(x, [2.0, 2.0])
    batches = [(x.tolist(), t.tolist()) for x, t in DataLoader(dataset, batch_size=3, shuffle=False)]
    assert batches == [([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [0, 1, 0]), ([[3.0, 3.0]], [1])]


def test_dataset_without_data_or_getitem_says_what_to_do() -> None:
    class Empty(dezero.Dataset):
        pass

    with pytest.raises(ValueError, match=r"Empty.prepare\(\) left self.data as None.*define __getitem__"):
        Empty()
