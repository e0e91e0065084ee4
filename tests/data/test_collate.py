"""Lists of (array, label) pairs and list data collate into array batches, as the book's DataLoader
and PyTorch's default_collate do."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core.data import DataLoader, Dataset


def pairs(n: int = 7) -> list[tuple[np.ndarray, int]]:
    """Sample i: a float32 vector filled with i, labelled i % 3."""
    return [(np.full(4, i, dtype=np.float32), i % 3) for i in range(n)]


def test_a_loader_over_a_list_of_pairs_batches_them_like_the_book() -> None:
    data = pairs()
    batches = list(DataLoader(data, 3, shuffle=False))
    assert [x.shape for x, _ in batches] == [(3, 4), (3, 4), (1, 4)]
    # the book's DataLoader: np.array([example[0] for example in batch]), likewise for labels
    for k, (x, t) in enumerate(batches):
        chunk = data[3 * k: 3 * k + 3]
        np.testing.assert_array_equal(x, np.array([ex[0] for ex in chunk]))
        np.testing.assert_array_equal(t, np.array([ex[1] for ex in chunk]))
        assert x.dtype == np.float32 and t.dtype == np.int64


def test_a_shuffled_loader_over_pairs_visits_every_sample_once_with_its_label() -> None:
    x_seen, t_seen = [], []
    for x, t in DataLoader(pairs(), 2, shuffle=True, seed=3):
        x_seen += list(x[:, 0].astype(int))
        t_seen += list(t)
    assert sorted(x_seen) == list(range(7))
    assert [i % 3 for i in x_seen] == t_seen


def test_batches_equal_pytorchs_default_collate() -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.utils.data.default_collate")
    samples = [(np.arange(3, dtype=np.float32) * i, i) for i in range(4)] + [(np.ones(3, np.float32), 2.5)]
    for chunk in (samples[:4], [(s[0], float(s[1])) for s in samples]):
        x, t = next(iter(DataLoader(chunk, len(chunk), shuffle=False)))
        want_x, want_t = torch.utils.data.default_collate(chunk)
        np.testing.assert_array_equal(x, want_x.numpy())
        np.testing.assert_array_equal(t, want_t.numpy())
        assert str(t.dtype) == str(want_t.dtype).removeprefix("torch.")


def test_a_dataset_built_from_lists_yields_arrays() -> None:
    ds = Dataset([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], [0, 1, 2])
    x, t = ds[1]
    assert isinstance(x, np.ndarray) and x.tolist() == [2.0, 3.0] and t.shape == () and int(t) == 1
    x, t = ds[0:2]
    assert x.shape == (2, 2) and t.tolist() == [0, 1]
    x, t = ds[np.array([2, 0])]
    assert x.tolist() == [[4.0, 5.0], [0.0, 1.0]] and t.tolist() == [2, 0]
    x, t = next(iter(DataLoader(ds, 3, shuffle=False)))
    assert x.shape == (3, 2) and t.dtype == np.int64


def test_samples_that_are_not_pairs_are_refused_naming_the_sample() -> None:
    loader = DataLoader([np.zeros(2), np.ones(2)], 2, shuffle=False)
    with pytest.raises(TypeError, match=r"DataLoader needs \(x, t\) samples, but sample 0 of list is ndarray"):
        next(iter(loader))


def test_samples_that_cannot_be_batched_say_what_to_do() -> None:
    loader = DataLoader([("a.png", 0), ("b.png", 1)], 2, shuffle=False)
    with pytest.raises(TypeError, match="cannot batch samples of type str .*convert it with a transform"):
        next(iter(loader))


@pytest.mark.parametrize("labels", [(None, 1, 2), (0, None, 2)])
def test_a_batch_where_some_samples_lack_a_label_is_refused(labels) -> None:
    # with the first label None the batch's labels were dropped (None); with a later one, an object array
    data = [(np.full(2, i, dtype=np.float32), t) for i, t in enumerate(labels)]
    with pytest.raises(ValueError, match=r"1 of the 3 samples of this batch hold None where the others hold a value"):
        next(DataLoader(data, 3, shuffle=False))


def test_unlabelled_pairs_give_a_none_label_batch() -> None:
    x, t = next(DataLoader([(np.full(2, i, dtype=np.float32), None) for i in range(3)], 3, shuffle=False))
    assert t is None
    np.testing.assert_array_equal(x, [[0, 0], [1, 1], [2, 2]])
