"""Two models trained in two threads are each reproducible: the default generators are per thread,
and initialisers and dropout take an explicit generator."""
from __future__ import annotations

import threading

import numpy as np

import dezero_core
from dezero_core import functions as F
from dezero_core.backend.selection import get_backend
from dezero_core.layers import Dropout, initializers
from dezero_core.models import MLP
from dezero_core.optimizers import SGD


def train_with_dropout(seed: int, barrier: threading.Barrier | None = None) -> dict[str, np.ndarray]:
    """Seed, build a lazy MLP, train 20 steps with dropout; the final weights."""
    dezero_core.random.seed(seed)
    model, drop = MLP((16, 3)), Dropout(0.5)
    optimizer = SGD(lr=0.1).setup(model)
    x = np.linspace(-1, 1, 40, dtype=np.float32).reshape(8, 5)
    t = np.arange(8) % 3
    for _ in range(20):
        if barrier is not None:
            barrier.wait()  # the two threads draw in lockstep: the worst interleaving for a shared generator
        model.cleargrads()
        F.softmax_cross_entropy(model(drop(x)), t).backward()
        optimizer.update()
    return {name: np.array(p.data) for name, p in model.named_params()}


def test_two_threads_train_as_each_would_alone():
    alone = {seed: train_with_dropout(seed) for seed in (0, 1)}
    results: dict[int, dict[str, np.ndarray]] = {}
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=lambda s=s: results.__setitem__(s, train_with_dropout(s, barrier)))
               for s in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed in (0, 1):
        for name, value in alone[seed].items():
            np.testing.assert_array_equal(results[seed][name], value)


def test_a_thread_that_never_seeds_starts_from_the_last_seed_given():
    dezero_core.random.seed(7)
    here = np.array(dezero_core.random.get_generator().uniform(0, 1, (3,), np.float64))
    there = []
    thread = threading.Thread(target=lambda: there.append(dezero_core.random.get_generator().uniform(0, 1, (3,), np.float64)))
    thread.start()
    thread.join()
    np.testing.assert_array_equal(there[0], here)


def test_an_explicit_generator_decides_the_initial_weights_and_the_dropout_mask():
    numpy = get_backend("numpy")
    dezero_core.random.seed(0)
    w = initializers.fan_in_normal(numpy, (4, 3), 4, np.float32, generator=numpy.random_generator(5))
    dezero_core.random.seed(1)  # the default generator plays no part
    again = initializers.fan_in_normal(numpy, (4, 3), 4, np.float32, generator=numpy.random_generator(5))
    np.testing.assert_array_equal(w, again)
    np.testing.assert_array_equal(w, numpy.random_generator(5).normal(0.0, 0.5, (4, 3), np.float32))

    x = np.ones((4, 6), np.float32)
    with dezero_core.using_config("train", True):
        masks = [Dropout(0.5, generator=numpy.random_generator(3))(x).data for _ in range(2)]
        functional = F.dropout(x, 0.5, generator=numpy.random_generator(3)).data
    expected = (numpy.random_generator(3).uniform(0.0, 1.0, (4, 6), np.float32) > 0.5) * 2.0
    for mask in masks + [functional]:
        np.testing.assert_array_equal(mask, expected)
