"""The book's code that several tests run, written once: step 45's model, steps 43-52's training loops."""
from __future__ import annotations

from typing import Any

import dezero.functions as F
import dezero.layers as L
from dezero import Model


class TwoLayerNet(Model):
    """Step 45's model."""

    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.l1 = L.Linear(hidden_size)
        self.l2 = L.Linear(out_size)

    def forward(self, x):
        y = F.sigmoid(self.l1(x))
        return self.l2(y)


def losses_every_1000(model: Any, x: Any, y: Any, optimizer: Any, iterations: int = 2001) -> list[float]:
    """Steps 43-46's regression loop (mean squared error); the loss every 1000 iterations, as printed."""
    optimizer.setup(model)
    found = []
    for i in range(iterations):
        loss = F.mean_squared_error(y, model(x))
        model.cleargrads()
        loss.backward()
        optimizer.update()
        if i % 1000 == 0:
            found.append(float(loss.data))
    return found


def train_epoch(model: Any, optimizer: Any, loader: Any) -> float:
    """One epoch of the book's loop: forward, softmax cross-entropy, cleargrads, backward, update.
    Returns the mean loss over the samples, as the book prints it."""
    total, count = 0.0, 0
    for x, t in loader:
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        total += float(loss.data) * len(t)
        count += len(t)
    return total / count
