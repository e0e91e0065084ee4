"""The book's unpinned downloads and caches: a damaged copy is named, moved aside and fetched again."""
from __future__ import annotations

import numpy as np
import pytest

import dezero
from dezero.datasets import load_cache_npz, save_cache_npz

LABELS = "{0: 'tench, Tinca tinca',\n 1: 'goldfish'}"


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The labels file behind a file:// URL, and an empty cache_dir."""
    source = tmp_path / "served" / "imagenet1000_clsidx_to_labels.txt"
    source.parent.mkdir()
    source.write_text(LABELS)
    monkeypatch.setattr(dezero.datasets, "IMAGENET_LABELS_URL", source.as_uri())
    monkeypatch.setattr(dezero.utils, "cache_dir", str(tmp_path / "cache"))
    return tmp_path / "cache" / source.name


def test_truncated_imagenet_labels_are_moved_aside_and_downloaded_again(served):
    served.parent.mkdir()
    served.write_text(LABELS[:20])  # a download cut short: a SyntaxError for the book's eval
    with pytest.warns(RuntimeWarning, match=rf"{served} cannot be read \(SyntaxError: .*\): moved it to "
                                            rf"{served}\.damaged and downloading it again"):
        assert dezero.datasets.ImageNet.labels() == {0: "tench, Tinca tinca", 1: "goldfish"}
    assert served.read_text() == LABELS
    assert dezero.datasets.ImageNet.labels()[1] == "goldfish"  # the good copy stays


def test_a_damaged_cache_npz_is_named_moved_aside_and_prepared_again(tmp_path, monkeypatch):
    monkeypatch.setattr(dezero.utils, "cache_dir", str(tmp_path))
    url = "https://example.org/data/mnist.gz"
    path = save_cache_npz(np.arange(6.0), np.array([1, 2]), url, train=True)
    with open(path, "r+b") as f:
        f.truncate(100)
    with pytest.warns(RuntimeWarning, match=rf"{path} cannot be read \(WeightsFileError: .*\); moved it to "
                                            rf"{path}\.damaged, the data will be prepared again"):
        assert load_cache_npz(url, train=True) == (None, None)
    assert save_cache_npz(np.arange(6.0), np.array([1, 2]), url, train=True) == path  # written anew
    np.testing.assert_array_equal(load_cache_npz(url, train=True)[0], np.arange(6.0))
