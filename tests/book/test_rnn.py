"""The book's recurrent networks (steps 59-60): truncated backprop through time on SinCurve, with the
book's loop (``loss.backward()`` then ``loss.unchain_backward()``), fewer epochs than the book's 100.

The trained networks are judged as the book shows them: fed a cosine, they predict its next value.
"""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Model, SeqDataLoader, optimizers


class SimpleRNN(Model):
    """Step 59's model."""

    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.rnn = L.RNN(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self):
        self.rnn.reset_state()

    def forward(self, x):
        h = self.rnn(x)
        return self.fc(h)


class BetterRNN(Model):
    """Step 60's model."""

    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.rnn = L.LSTM(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self):
        self.rnn.reset_state()

    def forward(self, x):
        y = self.rnn(x)
        return self.fc(y)


def cos_prediction_error(model) -> float:
    """Step 59's plot as a number: the mean squared error of predicting cos one step ahead."""
    xs = np.cos(np.linspace(0, 4 * np.pi, 1000))
    model.reset_state()
    pred_list = []
    with dezero.no_grad():
        for x in xs:
            x = np.array(x).reshape(1, 1)
            y = model(x)
            pred_list.append(float(y.data[0, 0]))  # (the book's float(y.data) needs numpy < 2.4)
    return float(np.mean((np.array(pred_list[:-1]) - xs[1:]) ** 2))


def train(model, batches, seqlen, max_epoch, bptt_length=30) -> list[float]:
    """The book's training loop; returns the average loss of every epoch."""
    optimizer = optimizers.Adam().setup(model)
    losses = []
    for _ in range(max_epoch):
        model.reset_state()
        loss, count = 0, 0
        for x, t in batches():
            y = model(x)
            loss += F.mean_squared_error(y, t)
            count += 1
            if count % bptt_length == 0 or count == seqlen:
                model.cleargrads()
                loss.backward()
                loss.unchain_backward()
                optimizer.update()
        losses.append(float(loss.data) / count)
    return losses


def test_simple_rnn_learns_the_sin_curve() -> None:
    # step 59: one sample at a time
    train_set = dezero.datasets.SinCurve(train=True)
    model = SimpleRNN(100, 1)
    losses = train(model, lambda: ((x.reshape(1, 1), t) for x, t in train_set), len(train_set), max_epoch=4)
    assert losses[-1] < 0.03 < losses[0]
    assert cos_prediction_error(model) < 0.02


def test_lstm_learns_the_sin_curve_from_seq_data_loader() -> None:
    # step 60: batches of 30 streams
    train_set = dezero.datasets.SinCurve(train=True)
    dataloader = SeqDataLoader(train_set, batch_size=30)
    model = BetterRNN(100, 1)
    losses = train(model, lambda: dataloader, len(train_set), max_epoch=30)
    assert losses[-1] < 0.06 < losses[0]
    assert cos_prediction_error(model) < 0.03


def test_backward_after_unchain_backward_reaches_only_the_new_segment() -> None:
    # the book's loop keeps adding to `loss` after backward() and unchain_backward(): the next
    # backward goes through the old loss's graph (which must still be there) into cut ends
    rnn = L.RNN(4)
    x = np.random.rand(2, 1)
    loss = F.sum(rnn(x))
    loss.backward()
    loss.unchain_backward()
    assert rnn.h.creator is None
    h1 = rnn.h.data.copy()
    loss += F.sum(rnn(x))
    rnn.cleargrads()
    loss.backward()
    gW = rnn.h2h.W.grad.data.copy()
    rnn.cleargrads()
    F.sum(F.tanh(rnn.x2h(x) + rnn.h2h(h1))).backward()  # the second step alone, the state a constant
    np.testing.assert_allclose(gW, rnn.h2h.W.grad.data)


class Counting(dezero.Dataset):
    def prepare(self):
        self.data = np.arange(12, dtype=np.float32)[:, None]
        self.label = self.data + 100


def test_seq_data_loader_gives_equally_spaced_streams() -> None:
    batches = [(x.ravel().tolist(), t.ravel().tolist()) for x, t in SeqDataLoader(Counting(), batch_size=3)]
    assert [x for x, _ in batches] == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    assert batches[0][1] == [100, 104, 108]


@pytest.mark.parametrize("layer", [L.RNN, L.LSTM])
def test_recurrent_layers_take_an_input_size_other_than_the_hidden_size(layer) -> None:
    rnn = layer(5)
    for _ in range(3):
        h = rnn(np.random.rand(2, 1))
    assert h.shape == (2, 5)


def test_seq_data_loader_counts_and_wraps_as_the_books() -> None:
    # 10 samples in 3 streams: jump = 10 // 3 = 3, ceil(10 / 3) = 4 batches, the last wraps around
    class Ten(dezero.Dataset):
        def prepare(self):
            self.data = np.arange(10)[:, None]
            self.label = self.data + 100

    loader = SeqDataLoader(Ten(), batch_size=3)
    assert len(loader) == loader.max_iter == 4
    batches = [x.ravel().tolist() for x, _ in loader]
    assert batches == [[0, 3, 6], [1, 4, 7], [2, 5, 8], [3, 6, 9]]
    assert [x.ravel().tolist() for x, _ in loader] == batches  # the next epoch starts over


def test_seq_data_loader_gives_sin_curve_34_batches_of_30() -> None:
    # step 60's loop runs ceil(999 / 30) = 34 steps per epoch
    loader = SeqDataLoader(dezero.datasets.SinCurve(train=True), batch_size=30)
    assert sum(1 for _ in loader) == 34
