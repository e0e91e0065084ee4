"""numpy's global seed gives the book's numbers: the layers draw their initial weights from
``np.random`` as the book's do, ``get_spiral`` seeds it, ``DataLoader`` shuffles with it.

Expected values are the book's printed output where it prints them (steps 44 and 48), otherwise a
hand-written numpy replica of the book's code run from the same seed.
"""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, optimizers
from dezero.models import MLP

from book_code import TwoLayerNet, losses_every_1000, train_epoch

#: step 44's output: the loss printed every 1000 iterations (the book's numpy 1 arithmetic, float32 weights)
STEP44_LOSSES = [0.8165178492839196, 0.24990280802148895, 0.24609876581126014, 0.23721590814318072]
#: step 48's output: 'epoch %d, loss %.2f' of the first six epochs
STEP48_LOSSES = ["1.13", "1.05", "0.95", "0.92", "0.87", "0.89"]


def book_weight(in_size: int, out_size: int) -> np.ndarray:
    """The book's ``Linear._init_W`` as numpy 1 computed it: float32 noise times a float32 scale."""
    return np.random.randn(in_size, out_size).astype(np.float32) * np.float32(np.sqrt(1 / in_size))


# -- the layers' initial weights -------------------------------------------------------------------
def test_linear_draws_the_books_weights_at_construction() -> None:
    np.random.seed(3)
    expected = book_weight(4, 5)
    np.random.seed(3)
    layer = L.Linear(5, in_size=4)
    assert layer.W.dtype == np.float32
    np.testing.assert_array_equal(layer.W.data, expected)
    np.testing.assert_array_equal(layer.b.data, np.zeros(5, dtype=np.float32))


def test_lazy_linear_draws_at_the_first_call_and_keeps_float32_for_float64_inputs() -> None:
    layer = L.Linear(3)
    assert layer.W.data is None and layer.b.data.dtype == np.float32  # the book's b exists at once
    np.random.seed(7)
    expected = book_weight(2, 3)
    np.random.seed(7)
    y = layer(np.ones((1, 2)))
    np.testing.assert_array_equal(layer.W.data, expected)
    assert layer.W.dtype == np.float32 and y.dtype == np.float64


@pytest.mark.parametrize("layer,shape", [(L.Conv2d, (4, 3, 2, 3)), (L.Deconv2d, (3, 4, 2, 3))])
def test_convolutions_draw_the_books_weights(layer, shape) -> None:
    conv = layer(4, kernel_size=(2, 3))
    np.random.seed(11)
    expected = np.random.randn(*shape).astype(np.float32) * np.float32(np.sqrt(1 / (3 * 2 * 3)))
    np.random.seed(11)
    conv(np.ones((1, 3, 5, 5), dtype=np.float32))
    np.testing.assert_array_equal(conv.W.data, expected)
    np.testing.assert_array_equal(conv.b.data, np.zeros(4, dtype=np.float32))


def test_embed_id_draws_standard_normals_in_float64() -> None:
    np.random.seed(2)
    expected = np.random.randn(6, 3)
    np.random.seed(2)
    layer = L.EmbedID(6, 3)
    np.testing.assert_array_equal(layer.W.data, expected)
    np.testing.assert_array_equal(layer(np.array([4, 0])).data, expected[[4, 0]])


def test_mlp_is_built_of_the_books_linear() -> None:
    model = MLP((10, 3))
    assert all(isinstance(layer, L.Linear) for layer in model.layers)
    assert model.activation is F.sigmoid
    np.random.seed(5)
    W0, W1 = book_weight(2, 10), book_weight(10, 3)
    np.random.seed(5)
    model(np.zeros((1, 2), dtype=np.float32))
    np.testing.assert_array_equal(model.l0.W.data, W0)
    np.testing.assert_array_equal(model.l1.W.data, W1)


# -- the book's printed numbers --------------------------------------------------------------------
def test_step44_prints_the_books_losses() -> None:
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    l1, l2 = L.Linear(10), L.Linear(1)
    found = []
    for i in range(3001):
        loss = F.mean_squared_error(y, l2(F.sigmoid(l1(x))))
        l1.cleargrads()
        l2.cleargrads()
        loss.backward()
        for layer in (l1, l2):
            for p in layer.params():
                p.data -= 0.2 * p.grad.data
        if i % 1000 == 0:
            found.append(float(loss.data))
    assert found == pytest.approx(STEP44_LOSSES, rel=1e-12)


def test_step45_model_prints_the_same_losses() -> None:
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    model = TwoLayerNet(10, 1)
    found = losses_every_1000(model, x, y, optimizers.SGD(0.2), iterations=1001)
    assert found == pytest.approx(STEP44_LOSSES[:2], rel=1e-12)


def book_spiral(train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The book's get_spiral, drawing from numpy's global generator one normal at a time."""
    np.random.seed(1984 if train else 2020)
    x = np.zeros((300, 2), dtype=np.float32)
    t = np.zeros(300, dtype=int)
    for j in range(3):
        for i in range(100):
            rate = i / 100
            theta = j * 4.0 + 4.0 * rate + np.random.randn() * 0.2
            x[100 * j + i] = [rate * np.sin(theta), rate * np.cos(theta)]
            t[100 * j + i] = j
    order = np.random.permutation(300)
    return x[order], t[order]


def book_step48(epochs: int) -> list[float]:
    """Steps 48-50 by hand: the book's MLP((10, 3)), SGD(1.0), batches of 30 of the book's shuffle."""
    x, t = book_spiral()
    params = None
    losses = []
    for _ in range(epochs):
        index = np.random.permutation(300)
        total = 0.0
        for i in range(10):
            bx, bt = x[index[i * 30:(i + 1) * 30]], t[index[i * 30:(i + 1) * 30]]
            if params is None:  # l0's weights at its first call, then l1's at its own
                params = [book_weight(2, 10), np.zeros(10, np.float32)]
            h = 1 / (1 + np.exp(-(bx @ params[0] + params[1])))
            if len(params) == 2:
                params += [book_weight(10, 3), np.zeros(3, np.float32)]
            y = h @ params[2] + params[3]
            p = np.exp(y - y.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            total += float(-np.log(p[np.arange(30), bt]).mean()) * 30
            p[np.arange(30), bt] -= 1
            gy = p / 30
            ga = gy @ params[2].T * h * (1 - h)
            for param, grad in zip(params, (bx.T @ ga, ga.sum(0), h.T @ gy, gy.sum(0))):
                param -= grad
        losses.append(total / 300)
    return losses


def test_get_spiral_leaves_numpys_generator_where_the_books_does() -> None:
    book_spiral(train=False)
    expected = np.random.rand(3)
    np.random.seed(123)
    x, t = dezero.datasets.get_spiral(train=False)
    np.testing.assert_array_equal(np.random.rand(3), expected)
    bx, bt = book_spiral(train=False)
    np.testing.assert_array_equal(x, bx)
    np.testing.assert_array_equal(t, bt)


def test_step48_prints_the_books_losses() -> None:
    x, t = dezero.datasets.get_spiral(train=True)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(1.0).setup(model)
    losses = []
    for _ in range(30):
        index = np.random.permutation(len(x))
        total = 0.0
        for i in range(10):
            batch = index[i * 30:(i + 1) * 30]
            loss = F.softmax_cross_entropy(model(x[batch]), t[batch])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            total += float(loss.data) * len(batch)
        losses.append(total / len(x))
    assert ["%.2f" % loss for loss in losses[:6]] == STEP48_LOSSES
    assert losses == pytest.approx(book_step48(30), rel=1e-5)  # float32 rounding apart


def test_step50_dataloader_shuffles_as_the_books() -> None:
    # the same training through Spiral and DataLoader: the book's loader draws the same permutations
    train_loader = DataLoader(dezero.datasets.Spiral(train=True), 30)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(1.0).setup(model)
    losses = [train_epoch(model, optimizer, train_loader) for _ in range(10)]
    assert losses == pytest.approx(book_step48(10), rel=1e-5)


def test_dataloader_order_is_numpys_permutation() -> None:
    samples = [(np.array([i]), i) for i in range(7)]
    np.random.seed(9)
    first, second = np.random.permutation(7), np.random.permutation(7)
    np.random.seed(9)
    loader = DataLoader(samples, batch_size=7)
    np.testing.assert_array_equal(next(loader)[1], first)
    with pytest.raises(StopIteration):
        next(loader)
    np.testing.assert_array_equal(next(loader)[1], second)


def test_sin_curve_noise_comes_from_numpys_generator() -> None:
    np.random.seed(4)
    y = np.sin(np.linspace(0, 2 * np.pi, 1000)) + np.random.uniform(-0.05, 0.05, size=1000)
    np.random.seed(4)
    train = dezero.datasets.SinCurve(train=True)
    assert train.data.shape == train.label.shape == (999, 1) and train.data.dtype == np.float64
    np.testing.assert_array_equal(train.data[:, 0], y[:-1])
    np.testing.assert_array_equal(train.label[:, 0], y[1:])
    after_noise = np.random.rand()
    np.random.seed(4)
    test = dezero.datasets.SinCurve(train=False)
    assert np.random.rand() == after_noise  # the test split draws the noise too, as in the book
    np.testing.assert_array_equal(test.data[:, 0], np.cos(np.linspace(0, 2 * np.pi, 1000))[:-1])


# -- recurrent layers ------------------------------------------------------------------------------
def test_simple_rnn_draws_in_the_books_order() -> None:
    # step 59: x2h's and fc's weights at the first step, h2h's at the second
    rnn, fc = L.RNN(4), L.Linear(1)
    np.random.seed(8)
    Wx, Wfc, Wh = book_weight(1, 4), book_weight(4, 1), book_weight(4, 4)
    np.random.seed(8)
    x = np.array([[0.5]])
    h1 = np.tanh(x @ Wx)
    fc(rnn(x))
    y = fc(rnn(x))
    np.testing.assert_array_equal(rnn.x2h.W.data, Wx)
    np.testing.assert_array_equal(rnn.h2h.W.data, Wh)
    np.testing.assert_allclose(y.data, np.tanh(x @ Wx + h1 @ Wh) @ Wfc, rtol=1e-6)


LSTM_NAMES = ["h2f/W", "h2i/W", "h2o/W", "h2u/W", "x2f/W", "x2f/b", "x2i/W", "x2i/b", "x2o/W", "x2o/b",
              "x2u/W", "x2u/b"]


def test_lstm_has_the_books_layout_and_draws_in_its_order() -> None:
    np.random.seed(6)
    hidden = {g: book_weight(3, 3) for g in "fiou"}  # h2f..h2u at construction
    inputs = {g: book_weight(2, 3) for g in "fiou"}  # x2f..x2u at the first call
    np.random.seed(6)
    lstm = L.LSTM(3)
    assert [name for name, _ in lstm.named_params()] == LSTM_NAMES
    assert lstm.h2f.b is None and lstm.x2f.W.data is None
    xs = np.random.RandomState(1).rand(3, 2, 2)
    hs = [lstm(x).data for x in xs]

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    h = c = None
    for x, got in zip(xs, hs):
        a = {g: x @ inputs[g] + (0 if h is None else h @ hidden[g]) for g in "fiou"}
        f, i, o, u = sigmoid(a["f"]), sigmoid(a["i"]), sigmoid(a["o"]), np.tanh(a["u"])
        c = i * u if c is None else f * c + i * u
        h = o * np.tanh(c)
        np.testing.assert_allclose(got, h, rtol=1e-6)


def test_lstm_loads_a_weight_file_with_the_books_names(tmp_path) -> None:
    arrays = {name: np.random.randn(*((2, 3) if name.startswith("x") and name.endswith("W") else
                                      (3,) if name.endswith("b") else (3, 3))).astype(np.float32)
              for name in LSTM_NAMES}
    np.savez(tmp_path / "lstm.npz", **arrays)
    lstm = L.LSTM(3)
    lstm.load_weights(str(tmp_path / "lstm.npz"))
    np.testing.assert_array_equal(lstm.x2o.W.data, arrays["x2o/W"])
    np.testing.assert_array_equal(lstm.h2u.W.data, arrays["h2u/W"])
    assert lstm(np.ones((1, 2), dtype=np.float32)).shape == (1, 3)
