"""DataLoader and SeqDataLoader: batches, shuffling with their own generator, state, bad input."""
import numpy as np
import pytest

import dezero_core
from dezero_core.data import DataLoader, Dataset, SeqDataLoader


def dataset(n=10):
    return Dataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))


def epoch(loader):
    return [t.tolist() for _, t in loader]


def test_len_counts_batches_including_the_short_last_one():
    assert len(DataLoader(dataset(10), 4)) == 3


def test_drop_last_skips_the_short_batch():
    loader = DataLoader(dataset(10), 4, shuffle=False, drop_last=True)
    assert len(loader) == 2
    assert epoch(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_unshuffled_batches_are_in_order_with_a_short_last_batch():
    assert epoch(DataLoader(dataset(5), 2, shuffle=False)) == [[0, 1], [2, 3], [4]]


def test_shuffled_epoch_visits_every_sample_once():
    seen = sorted(i for batch in epoch(DataLoader(dataset(10), 3, seed=1)) for i in batch)
    assert seen == list(range(10))


def test_every_epoch_has_a_new_order():
    loader = DataLoader(dataset(50), 50, seed=1)
    assert epoch(loader) != epoch(loader)


def test_same_seed_same_order():
    assert epoch(DataLoader(dataset(20), 5, seed=7)) == epoch(DataLoader(dataset(20), 5, seed=7))


def test_global_seed_makes_the_order_repeatable():
    dezero_core.random.seed(3)
    first = epoch(DataLoader(dataset(20), 5))
    dezero_core.random.seed(3)
    assert epoch(DataLoader(dataset(20), 5)) == first


def test_loader_generator_is_its_own():
    loader = DataLoader(dataset(20), 5, seed=7)
    expected = epoch(DataLoader(dataset(20), 5, seed=7))
    dezero_core.random.get_generator("numpy").uniform(0, 1, (100,), np.float32)  # others drawing
    assert epoch(loader) == expected


def test_reset_starts_the_epoch_over():
    loader = DataLoader(dataset(6), 2, shuffle=False)
    next(loader)
    loader.reset()
    assert next(loader)[1].tolist() == [0, 1]


def test_next_method_like_the_book():
    assert DataLoader(dataset(6), 2, shuffle=False).next()[1].tolist() == [0, 1]


def test_state_dict_resumes_mid_epoch_with_the_same_order():
    a = DataLoader(dataset(20), 3, seed=5)
    next(a), next(a)
    state = a.state_dict()
    rest = epoch(a)
    b = DataLoader(dataset(20), 3, seed=99)
    b.load_state_dict(state)
    assert epoch(b) == rest
    assert epoch(b) == epoch(a)  # and the epochs after it too


def test_to_moves_batches_to_the_backend():
    pytest.importorskip("array_api_strict")
    loader = DataLoader(dataset(4), 2, shuffle=False).to("strict")
    x, t = next(loader)
    assert dezero_core.backend.selection.backend_of(x).name == "strict"
    assert dezero_core.backend.selection.backend_of(t).name == "strict"


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_batch_size_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(dataset(4), bad)


def test_empty_dataset_is_an_error():
    with pytest.raises(ValueError, match="the dataset is empty"):
        DataLoader(Dataset(np.zeros((0, 3)), np.zeros(0)), 2)


def test_drop_last_that_would_drop_everything_is_an_error():
    with pytest.raises(ValueError, match="every batch would be dropped"):
        DataLoader(dataset(3), 4, drop_last=True)


def test_seq_loader_gives_parallel_streams_that_continue():
    loader = SeqDataLoader(dataset(10), 3)
    assert len(loader) == 3
    assert epoch(loader) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]


def test_seq_loader_labels_are_the_next_elements():
    ds = Dataset(np.arange(9), np.arange(1, 10))
    x, t = next(SeqDataLoader(ds, 3))
    np.testing.assert_array_equal(t, x + 1)


def test_loaders_run_on_a_strict_array_api_backend():
    xp = pytest.importorskip("array_api_strict")
    ds = Dataset(xp.reshape(xp.arange(12, dtype=xp.float32), (6, 2)), xp.arange(6))
    labels = [int(t[i]) for _, t in DataLoader(ds, 4, seed=0) for i in range(t.shape[0])]
    assert sorted(labels) == list(range(6))
    assert [int(t[1]) for _, t in SeqDataLoader(ds, 2)] == [3, 4, 5]
