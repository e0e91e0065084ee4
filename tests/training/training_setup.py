"""Small, fast training setups shared by the training tests (the embedded digits, an MLP, Adam)."""
from __future__ import annotations

import numpy as np

import dezero_core
from dezero_core import functions as F
from dezero_core.data import DataLoader, Dataset
from dezero_core.models import MLP
from dezero_core.optimizers import Adam
from dezero_core.training import Trainer
from dezero_datasets import Digits


def digits_trainer(seed=0, extensions=(), batch_size=32, test=True, hidden=32, train_size=None, **kw):
    """A Trainer of a small ReLU MLP on the embedded digits, fully determined by ``seed``."""
    dezero_core.random.seed(seed)
    train = Digits()
    if train_size is not None:
        train = Dataset(train.data[:train_size], train.label[:train_size], transform=train.transform)
    model = MLP((hidden, 10), activation=F.relu, in_size=64)
    return Trainer(model, F.softmax_cross_entropy, Adam(lr=0.01).setup(model),
                   DataLoader(train, batch_size, seed=seed),
                   DataLoader(Digits(train=False), 128, shuffle=False) if test else None,
                   extensions=extensions, **kw)


def params(model):
    """name -> a copy of every parameter array."""
    return {name: np.array(p.data) for name, p in model.named_params()}
