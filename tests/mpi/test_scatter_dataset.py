"""``scatter_dataset`` deals a dataset out to the processes: disjoint parts that cover it, equal in
length when training needs it. Run here for each rank in turn, against a stand-in communicator
whose broadcast hands every rank what rank 0 sent (as MPI's does)."""
import numpy as np
import pytest

from dezero_core.data import DataLoader, Dataset
from dezero_mpi import scatter_dataset


class Broadcast:
    """Rank ``rank`` of ``size`` processes; ``bcast_object`` returns what rank 0 sent."""

    def __init__(self, rank, size, sent):
        self.rank, self.size, self.sent = rank, size, sent

    def bcast_object(self, obj):
        if self.rank == 0:
            self.sent["obj"] = obj
        return self.sent["obj"]


def parts(dataset, size, **kwargs):
    """Every rank's part, rank 0 first (its broadcast feeds the others)."""
    sent = {}
    return [scatter_dataset(dataset, Broadcast(rank, size, sent), **kwargs) for rank in range(size)]


def dataset(n):
    """``n`` samples whose value is 10 x their index, labels index % 3."""
    return Dataset(np.arange(n, dtype=np.float64).reshape(n, 1) * 10, np.arange(n) % 3)


@pytest.mark.parametrize("n,size", [(12, 3), (10, 3), (7, 2), (5, 5)])
def test_equal_length_parts_cover_every_sample_and_repeat_only_to_even_out(n, size):
    split = parts(dataset(n), size, seed=0)
    length = -(-n // size)
    assert [len(p) for p in split] == [length] * size
    taken = np.concatenate([p.indices for p in split])
    assert sorted(set(taken.tolist())) == list(range(n))
    assert len(taken) - n == length * size - n  # the only repeats are the padding


def test_parts_for_evaluation_are_disjoint_and_differ_by_at_most_one():
    split = parts(dataset(10), 3, shuffle=False, force_equal_length=False)
    assert [p.indices.tolist() for p in split] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_the_order_comes_from_the_seed_on_rank_0():
    a, b, c = (parts(dataset(50), 2, seed=s)[1].indices for s in (4, 4, 5))
    assert a.tolist() == b.tolist() != c.tolist()
    assert parts(dataset(6), 2, shuffle=False)[1].indices.tolist() == [3, 4, 5]


def test_a_part_indexes_like_the_dataset_it_comes_from():
    data = dataset(9)
    part = parts(data, 2, seed=1)[1]
    i = part.indices
    x, t = part[2]
    assert x.tolist() == data[int(i[2])][0].tolist() and int(t) == int(data.label[i[2]])
    xs, ts = part[1:4]
    assert xs[:, 0].tolist() == (i[1:4] * 10.0).tolist() and ts.tolist() == (i[1:4] % 3).tolist()
    xs, _ = part[np.array([3, 0])]
    assert xs[:, 0].tolist() == [i[3] * 10.0, i[0] * 10.0]
    assert part.targets().tolist() == (i % 3).tolist()
    with pytest.raises(IndexError, match="out of range for a part of 5 samples"):
        part[5]


def test_a_part_feeds_a_data_loader():
    part = parts(dataset(9), 2, seed=1)[0]
    batches = list(DataLoader(part, 2, seed=0))
    assert sorted(np.concatenate([x[:, 0] for x, _ in batches]).tolist()) == sorted((part.indices * 10.0).tolist())


def test_fewer_samples_than_processes_is_an_error():
    with pytest.raises(ValueError, match="cannot scatter 2 samples over 3 processes"):
        parts(dataset(2), 3)
