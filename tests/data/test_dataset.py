"""Dataset: access by int, slice and index array; transforms; bad input."""
import numpy as np
import pytest

from dezero_core.data import Dataset
from dezero_core.data.transforms import Compose, Flatten, Normalize, ToFloat


def make(n=10, **kw):
    return Dataset(np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2), np.arange(n) % 3, **kw)


def test_int_access_gives_one_sample_and_its_label():
    x, t = make()[3]
    np.testing.assert_array_equal(x, [[12, 13], [14, 15]])
    assert t == 0


def test_negative_int_counts_from_the_end():
    x, t = make()[-1]
    np.testing.assert_array_equal(x, [[36, 37], [38, 39]])
    assert t == 0


def test_int_out_of_range_raises_index_error_naming_the_size():
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of 10 samples"):
        make()[10]


def test_slice_gives_a_batch():
    x, t = make()[2:5]
    assert x.shape == (3, 2, 2)
    np.testing.assert_array_equal(t, [2, 0, 1])


def test_index_array_gives_the_samples_in_that_order():
    x, t = make()[np.array([7, 1, 7])]
    np.testing.assert_array_equal(x[:, 0, 0], [28, 4, 28])
    np.testing.assert_array_equal(t, [1, 1, 1])


def test_list_of_indices_works_like_an_index_array():
    x, _ = make()[[0, 9]]
    np.testing.assert_array_equal(x[:, 0, 0], [0, 36])


def test_batched_transform_runs_once_on_the_whole_batch():
    calls = []

    class Double:
        batched = True

        def __call__(self, x):
            calls.append(x.shape)
            return x * 2

    x, _ = make(transform=Double())[0:4]
    assert calls == [(4, 2, 2)]
    assert x[1, 0, 0] == 8


def test_plain_function_transform_is_applied_per_sample():
    shapes = []

    def per_sample(x):
        shapes.append(x.shape)
        return x.reshape(-1)  # only right for one sample: proves it never sees a batch

    x, _ = make(transform=per_sample)[np.array([0, 1, 2])]
    assert shapes == [(2, 2)] * 3
    assert x.shape == (3, 4)


def test_batched_transform_on_one_sample_sees_a_batch_of_one():
    x, _ = make(transform=Compose([Flatten(), ToFloat(), Normalize(0.0, 2.0)]))[1]
    assert x.shape == (4,) and x.dtype == np.float32
    np.testing.assert_array_equal(x, [2.0, 2.5, 3.0, 3.5])


def test_target_transform_applies_to_labels_only():
    ds = make(target_transform=lambda t: t + 10)
    x, t = ds[0:2]
    np.testing.assert_array_equal(t, [10, 11])
    np.testing.assert_array_equal(x[0, 0], [0, 1])


def test_targets_gives_every_transformed_label():
    np.testing.assert_array_equal(make(n=4, target_transform=lambda t: t * 2).targets(), [0, 2, 4, 0])


def test_unlabelled_dataset_gives_none_as_label():
    ds = Dataset(np.zeros((3, 2)))
    assert ds[0][1] is None and ds[0:2][1] is None and ds.targets() is None


def test_list_data_is_indexable_by_an_index_array():
    ds = Dataset(["a", "b", "c"], np.array([0, 1, 2]), transform=lambda s: np.array([ord(s)]))
    x, t = ds[np.array([2, 0])]
    np.testing.assert_array_equal(x, [[99], [97]])
    np.testing.assert_array_equal(t, [2, 0])


def test_data_and_label_length_mismatch_is_an_error_with_both_lengths():
    with pytest.raises(ValueError, match="10 samples but 9 labels"):
        Dataset(np.zeros((10, 2)), np.zeros(9))


def test_missing_data_is_an_error():
    with pytest.raises(ValueError, match="needs data"):
        Dataset(None)


def test_works_on_a_strict_array_api_backend():
    xp = pytest.importorskip("array_api_strict")
    ds = Dataset(xp.reshape(xp.arange(12, dtype=xp.uint8), (6, 2)), xp.arange(6),
                 transform=Compose([ToFloat(), Normalize(0.0, 2.0)]))
    x, t = ds[xp.asarray([4, 1])]
    assert x.dtype == xp.float32
    assert float(x[0, 1]) == 4.5 and int(t[1]) == 1
    x1, _ = ds[2]
    assert x1.shape == (2,)
