"""The book's training examples (steps 42-54) with the book's numbers where it prints them."""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, Variable, optimizers, test_mode
from dezero.models import MLP

from book_code import TwoLayerNet, losses_every_1000, train_epoch

#: step 43: the loss printed every 1000 iterations (the first three)
SIN_LOSSES = [0.8473695850105871, 0.2514286285183607, 0.24759485466749875]


def sin_data():
    """Step 43's data and initial weights, drawn from numpy's global generator seeded with 0."""
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    W1, b1 = 0.01 * np.random.randn(1, 10), np.zeros(10)
    W2, b2 = 0.01 * np.random.randn(10, 1), np.zeros(1)
    return x, y, (W1, b1, W2, b2)



def sin_model():
    """TwoLayerNet holding step 43's initial weights, and the data."""
    x, y, (W1, b1, W2, b2) = sin_data()
    model = TwoLayerNet(10, 1)
    model(x)  # creates the weights (their size comes from x)
    model.l1.W.data, model.l1.b.data, model.l2.W.data, model.l2.b.data = W1, b1, W2, b2
    return model, x, y


def test_linear_regression() -> None:
    # step 42
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = 5 + 2 * x + np.random.rand(100, 1)
    x, y = Variable(x), Variable(y)
    W, b = Variable(np.zeros((1, 1))), Variable(np.zeros(1))
    for _ in range(100):
        y_pred = F.matmul(x, W) + b
        loss = F.mean_squared_error(y, y_pred)
        W.cleargrad()
        b.cleargrad()
        loss.backward()
        W.data -= 0.1 * W.grad.data
        b.data -= 0.1 * b.grad.data
    assert float(W.data[0, 0]) == pytest.approx(2.11807369, abs=5e-9)
    assert float(b.data[0]) == pytest.approx(5.46608905, abs=5e-9)
    assert float(loss.data) == pytest.approx(0.07908606512411756, rel=1e-12)


def test_neural_network_on_sin_data() -> None:
    # step 43: parameters as Variables, updated by hand
    x, y, params = sin_data()
    params = [Variable(p) for p in params]
    W1, b1, W2, b2 = params
    found = []
    for i in range(2001):
        y_pred = F.linear(F.sigmoid(F.linear(x, W1, b1)), W2, b2)
        loss = F.mean_squared_error(y, y_pred)
        for p in params:
            p.cleargrad()
        loss.backward()
        for p in params:
            p.data -= 0.2 * p.grad.data
        if i % 1000 == 0:
            found.append(float(loss.data))
    assert found == pytest.approx(SIN_LOSSES, rel=1e-10)


def test_layers_and_sgd_give_the_same_numbers() -> None:
    # steps 44-46: the same network as a Model, trained by optimizers.SGD
    model, x, y = sin_model()
    assert losses_every_1000(model, x, y, optimizers.SGD(0.2)) == pytest.approx(SIN_LOSSES, rel=1e-10)


def test_optimizer_written_as_in_the_book() -> None:
    class BookSGD(optimizers.Optimizer):
        def __init__(self, lr=0.01):
            super().__init__()
            self.lr = lr

        def update_one(self, param):
            param.data -= self.lr * param.grad.data

    model, x, y = sin_model()
    assert losses_every_1000(model, x, y, BookSGD(0.2)) == pytest.approx(SIN_LOSSES, rel=1e-10)


def test_dezero_core_optimizers_are_book_optimizers() -> None:
    assert isinstance(optimizers.Adam(), optimizers.Optimizer)
    assert not isinstance(object(), optimizers.Optimizer)


def test_momentum_sgd_trains_the_mlp() -> None:
    # step 46
    x, y, _ = sin_data()
    model = MLP((10, 1))
    optimizer = optimizers.MomentumSGD(0.2).setup(model)
    for _ in range(1000):
        loss = F.mean_squared_error(y, model(x))
        model.cleargrads()
        loss.backward()
        optimizer.update()
    assert float(loss.data) < 0.1


def test_hooks_run_before_each_update() -> None:
    model, x, y = sin_model()
    optimizer = optimizers.SGD(0.2).setup(model)
    optimizer.add_hook(optimizers.FreezeParam(model.l1))
    assert optimizer.hooks and isinstance(optimizer.hooks[0], optimizers.FreezeParam)
    W1 = model.l1.W.data.copy()
    F.mean_squared_error(y, model(x)).backward()
    optimizer.update()
    np.testing.assert_array_equal(model.l1.W.data, W1)


def test_mlp_default_activation_is_sigmoid() -> None:
    model = MLP((3, 2))
    x = np.random.randn(4, 5)
    h = F.sigmoid(model.l0(x))
    np.testing.assert_allclose(model(x).data, model.l1(h).data)


def test_softmax_and_cross_entropy() -> None:
    # step 47
    model = MLP((10, 3))
    x = np.array([[0.2, -0.4], [0.3, 0.5], [1.3, -3.2], [2.1, 0.3]])
    t = np.array([2, 0, 1, 0])
    y = model(x)
    p = F.softmax(y)
    np.testing.assert_allclose(p.data.sum(axis=1), np.ones(4))
    np.testing.assert_allclose(p.data, F.softmax_simple(y).data)
    loss = F.softmax_cross_entropy(y, t)
    simple = F.softmax_cross_entropy_simple(y, t)
    expected = -np.mean(np.log(p.data[np.arange(4), t]))
    assert float(loss.data) == pytest.approx(expected, rel=1e-12)
    assert float(simple.data) == pytest.approx(expected, rel=1e-12)


def test_spiral_mlp_reaches_the_books_accuracy() -> None:
    # step 50: MLP((10, 3)), SGD lr 1.0, batches of 30, 300 epochs
    train_set = dezero.datasets.Spiral(train=True)
    test_set = dezero.datasets.Spiral(train=False)
    train_loader = DataLoader(train_set, 30)
    test_loader = DataLoader(test_set, 30, shuffle=False)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(1.0).setup(model)
    for _ in range(300):
        mean_loss = train_epoch(model, optimizer, train_loader)
    with dezero.no_grad():
        train_acc = np.mean([float(F.accuracy(model(x), t).data) for x, t in DataLoader(train_set, 300)])
        test_acc = np.mean([float(F.accuracy(model(x), t).data) for x, t in test_loader])
    assert mean_loss < 0.2
    assert train_acc > 0.9
    assert test_acc > 0.9


def test_spiral_data_are_the_books() -> None:
    x, t = dezero.datasets.get_spiral(train=True)
    assert x.shape == (300, 2) and x.dtype == np.float32 and t.shape == (300,)
    # the book's generator: seed 1984, one randn per point, then a permutation
    rng = np.random.RandomState(1984)
    rate = np.tile(np.arange(100) / 100, 3)
    theta = np.repeat(np.arange(3), 100) * 4.0 + 4.0 * rate + np.array([rng.randn() for _ in range(300)]) * 0.2
    order = rng.permutation(300)
    expected = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=1).astype(np.float32)[order]
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(t, np.repeat(np.arange(3), 100)[order])


def test_dropout_draws_its_mask_from_numpys_global_generator() -> None:
    # step 52
    x = np.ones(5, dtype=np.float32)
    np.random.seed(3)
    mask = np.random.rand(5) > 0.5
    np.random.seed(3)
    y = F.dropout(x)
    np.testing.assert_array_equal(y.data, mask * 2.0)
    assert y.dtype == np.float32


def test_dropout_gradient_is_the_scaled_mask() -> None:
    x = Variable(np.ones((3, 4)))
    y = F.dropout(x, dropout_ratio=0.25)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, y.data)


def test_dropout_in_test_mode_is_the_identity() -> None:
    x = Variable(np.ones(5))
    with test_mode():
        y = F.dropout(x)
    assert y is x


def test_batch_nrom_updates_the_running_averages_in_place() -> None:
    x = np.random.randn(8, 3) * 2 + 5
    gamma, beta = Variable(np.ones(3)), Variable(np.zeros(3))
    mean, var = np.zeros(3), np.ones(3)
    mean_id = id(mean)
    y = F.batch_nrom(x, gamma, beta, mean, var)
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-12)
    assert id(mean) == mean_id
    np.testing.assert_allclose(mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.var(axis=0, ddof=1))


def test_batch_norm_layer_uses_running_averages_in_test_mode() -> None:
    layer = L.BatchNorm()
    x = np.random.randn(8, 3)
    layer(x)
    with test_mode():
        y = layer(x)
    np.testing.assert_allclose(y.data, (x - layer.avg_mean.data) / np.sqrt(layer.avg_var.data + 2e-5))


def test_save_and_load_weights(tmp_path) -> None:
    # step 53: the weights saved after training load into a new model, even before its first call
    x, t = dezero.datasets.get_spiral()
    model = MLP((10, 3))
    optimizer = optimizers.SGD().setup(model)
    for _ in range(3):
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
    path = tmp_path / "my_mlp.npz"
    model.save_weights(str(path))
    assert sorted(np.load(path).files) == ["l0/W", "l0/b", "l1/W", "l1/b"]
    restored = MLP((10, 3))
    restored.load_weights(str(path))
    np.testing.assert_array_equal(restored(x).data, model(x).data)


def test_dataset_written_as_in_the_book() -> None:
    class Squares(dezero.Dataset):
        def prepare(self):
            self.data = np.arange(10, dtype=np.float32)[:, None]
            self.label = (np.arange(10) ** 2) if self.train else None

    train = Squares(transform=lambda x: x / 10)
    assert len(train) == 10
    x, t = train[3]
    np.testing.assert_allclose(x, [0.3])
    assert t == 9
    assert Squares(train=False)[3][1] is None
    assert isinstance(dezero.datasets.Spiral(), dezero.Dataset)


def test_dataloader_over_a_list_of_pairs() -> None:
    samples = [(np.full(2, i, dtype=np.float32), i % 3) for i in range(7)]
    loader = DataLoader(samples, batch_size=3, shuffle=False)
    batches = [(x.copy(), t.copy()) for x, t in loader]
    assert [x.shape for x, _ in batches] == [(3, 2), (3, 2), (1, 2)]
    np.testing.assert_array_equal(batches[1][1], [0, 1, 2])
    assert loader.max_iter == 3 and loader.gpu is False


def test_dataloader_resets_and_shuffles_each_epoch() -> None:
    loader = DataLoader(dezero.datasets.Spiral(), batch_size=100)
    first = [t.copy() for _, t in loader]
    second = [t.copy() for _, t in loader]
    assert len(first) == len(second) == 3
    assert not all(np.array_equal(a, b) for a, b in zip(first, second))


def test_batch_norm_keeps_its_running_averages_as_parameters() -> None:
    layer = L.BatchNorm()
    x = np.random.randn(8, 3) * 2 + 5
    layer(x)
    assert isinstance(layer.avg_mean, dezero.Parameter) and isinstance(layer.avg_var, dezero.Parameter)
    np.testing.assert_allclose(layer.avg_mean.data, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.avg_var.data, 0.9 + 0.1 * x.var(axis=0, ddof=1))
    assert sorted(name for name, _ in layer.named_params()) == ["avg_mean", "avg_var", "beta", "gamma"]


def test_batch_norm_running_averages_round_trip_through_weight_files(tmp_path) -> None:
    model = dezero.models.Sequential(L.Linear(4), L.BatchNorm(), F.relu, L.Linear(2))
    x = np.random.randn(16, 3)
    optimizer = optimizers.SGD(0.1).setup(model)
    for _ in range(3):
        loss = F.sum(model(x) ** 2)
        model.cleargrads()
        loss.backward()
        optimizer.update()
    bn = model.steps[1]
    assert bn.avg_mean.grad is None  # never trained, only averaged
    path = tmp_path / "bn.npz"
    model.save_weights(str(path))
    assert {"l1/avg_mean", "l1/avg_var"} <= set(np.load(path).files)
    restored = dezero.models.Sequential(L.Linear(4), L.BatchNorm(), F.relu, L.Linear(2))
    restored.load_weights(str(path))
    np.testing.assert_array_equal(restored.steps[1].avg_mean.data, bn.avg_mean.data)
    np.testing.assert_array_equal(restored.steps[1].avg_var.data, bn.avg_var.data)
    with test_mode():
        np.testing.assert_array_equal(restored(x).data, model(x).data)


def book_adam(params, grads_per_step, alpha=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    """The book's Adam by hand: m += (1-b1)(g-m), v += (1-b2)(g²-v), p -= lr·m/(√v+eps), lr bias-corrected."""
    ms, vs = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        lr = alpha * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        for p, g, m, v in zip(params, grads, ms, vs):
            m += (1 - beta1) * (g - m)
            v += (1 - beta2) * (g * g - v)
            p -= lr * m / (np.sqrt(v) + eps)
    return params


def test_adam_alpha_is_the_rate_and_lr_the_bias_corrected_step() -> None:
    model = MLP((3, 1), dtype=np.float64)
    x = np.random.randn(5, 2)
    optimizer = optimizers.Adam(alpha=0.01).setup(model)
    assert optimizer.alpha == 0.01
    with pytest.raises(ZeroDivisionError, match=r"undefined at t=0 .*Adam.alpha \(0.01\)"):
        optimizer.lr
    model(x)
    params = [p.data.copy() for p in model.params()]
    grads = []
    for _ in range(3):
        loss = F.sum(model(x) ** 2)
        model.cleargrads()
        loss.backward()
        grads.append([p.grad.data.copy() for p in model.params()])
        optimizer.update()
    assert optimizer.lr == pytest.approx(0.01 * np.sqrt(1 - 0.999 ** 3) / (1 - 0.9 ** 3), rel=1e-15)
    # (each step's gradients came from the updated model: replay them on the initial weights)
    for got, want in zip(model.params(), book_adam(params, grads)):
        np.testing.assert_allclose(got.data, want, rtol=1e-10)
    assert optimizer.state_dict()["hyperparams"] == {"alpha": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def test_dezero_cores_adam_keeps_lr_as_its_rate() -> None:
    import dezero_core

    core_adam = dezero_core.optimizers.Adam(0.01)
    assert core_adam.lr == 0.01 and not isinstance(core_adam, optimizers.Adam)
