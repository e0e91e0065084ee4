"""The book's code as its readers run it: the simple core's array gradients, integer arrays, weight
files named as numpy names them, and the Trainer DeZero's users wrote when they grew the book."""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import DataLoader, Trainer, optimizers
from dezero.models import MLP

# -- dezero.core_simple (steps 23-32) -----------------------------------------------------------


def test_simple_core_gradients_are_arrays_so_the_books_update_runs() -> None:
    from dezero.core_simple import Variable

    # step 28: gradient descent on the Rosenbrock function, x.data -= lr * x.grad
    x0, x1 = Variable(np.array(0.0)), Variable(np.array(2.0))
    for _ in range(1000):
        y = 100 * (x1 - x0 ** 2) ** 2 + (x0 - 1) ** 2
        x0.cleargrad()
        x1.cleargrad()
        y.backward()
        assert isinstance(x0.grad, (np.ndarray, np.generic))  # an array (0-d math gives numpy scalars, as in the book)
        x0.data -= 0.001 * x0.grad
        x1.data -= 0.001 * x1.grad
    # the book prints variable(0.6837118569138317) variable(0.4659526837427042) after 1000 steps
    np.testing.assert_allclose([x0.data, x1.data], [0.6837118569138317, 0.4659526837427042], rtol=1e-12)


def test_simple_core_grad_is_none_before_backward_and_prints_as_the_number() -> None:
    from dezero.core_simple import Variable

    x = Variable(np.array(3.0))
    assert x.grad is None
    (x * x).backward()
    assert str(x.grad) == "6.0"  # the book prints 6.0, not variable(6.0)


def test_simple_core_function_gets_array_gradients() -> None:
    from dezero.core_simple import Function, Variable

    seen = []

    class Square(Function):
        def forward(self, x):
            return x ** 2

        def backward(self, gy):
            seen.append(type(gy))
            return 2 * self.inputs[0].data * gy

    x = Variable(np.array(3.0))
    Square()(x).backward()
    assert seen == [np.ndarray]
    assert x.grad == 6.0


def test_full_core_gradients_stay_variables() -> None:
    x = dezero.Variable(np.array(3.0))
    (x * x).backward()
    assert isinstance(x.grad, dezero.Variable)


# -- integer arrays, computed as numpy computes them --------------------------------------------
INTS = np.array([[-2, -1, 0], [1, 2, 3]])


@pytest.mark.parametrize("name,expected", [
    ("exp", np.exp(INTS)),
    ("sigmoid", 1 / (1 + np.exp(-INTS))),
    ("relu", np.maximum(INTS, 0.0)),   # the book's np.maximum(x, 0.0): float64
    ("tanh", np.tanh(INTS)),
])
def test_float_formulas_promote_integers_to_float64_as_numpy(name: str, expected: np.ndarray) -> None:
    y = getattr(F, name)(INTS)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data, expected, rtol=1e-15)


def test_linear_of_integers_is_integer_as_numpy() -> None:
    W = np.arange(6).reshape(3, 2)
    b = np.array([10, 20])
    y = F.linear(INTS, W, b)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.data, INTS.dot(W) + b)


def test_im2col_of_integers_is_integer_as_numpy() -> None:
    img = np.arange(16).reshape(1, 1, 4, 4)
    col = F.im2col(img, kernel_size=2, stride=2, to_matrix=True)
    assert col.dtype == np.int64
    np.testing.assert_array_equal(col.data, [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]])


def test_gradient_reaches_an_integer_variable_through_the_promotion() -> None:
    x = dezero.Variable(np.array([0, 1, 2]))
    F.exp(x).backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0, 1, 2]), rtol=1e-15)


def test_the_core_still_refuses_integers() -> None:
    import dezero_core.functions as CF

    with pytest.raises(TypeError, match="needs floating-point data"):
        CF.exp(INTS)


# -- weight files --------------------------------------------------------------------------------
def test_save_weights_appends_npz_as_numpy_does(tmp_path) -> None:
    model = MLP((4, 2))
    model(np.ones((1, 3), dtype=np.float32))
    model.save_weights(str(tmp_path / "noext"))
    assert not (tmp_path / "noext").exists()
    with np.load(tmp_path / "noext.npz") as npz:
        assert sorted(npz.files) == ["l0/W", "l0/b", "l1/W", "l1/b"]
        np.testing.assert_array_equal(npz["l0/W"], model.l0.W.data)
    restored = MLP((4, 2))
    restored.load_weights(str(tmp_path / "noext.npz"))
    np.testing.assert_array_equal(restored.l1.W.data, model.l1.W.data)


# -- the Trainer as DeZero's users wrote it ------------------------------------------------------
def _digits_loaders(batch_size: int = 100) -> tuple[DataLoader, DataLoader]:
    from dezero_core.discovery import registry

    Digits = registry("dezero.datasets").get("Digits")
    return (DataLoader(Digits(train=True), batch_size),
            DataLoader(Digits(train=False), batch_size, shuffle=False))


def test_the_users_trainer_program_runs_unchanged_and_reports_each_epoch(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display here: plot() saves and says where
    train_loader, test_loader = _digits_loaders()
    model = MLP((64, 10))
    optimizer = optimizers.SGD(lr=1.0).setup(model)
    trainer = Trainer(model, F.softmax_cross_entropy, optimizer, train_loader, test_loader, gpu=False)
    history = trainer.fit(3)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 3, out
    assert "train loss" in lines[0] and "acc" in lines[0] and "test loss" in lines[0] and lines[0].endswith(" s)")
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["test_accuracy"] > 0.6  # (10 classes: chance is 0.1)

    saved = trainer.plot()
    assert saved == str(tmp_path / "training.png")
    assert (tmp_path / "training.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"saved it to {saved}" in capsys.readouterr().out


def test_trainer_verbose_false_is_silent(capsys) -> None:
    train_loader, _ = _digits_loaders()
    model = MLP((16, 10))
    Trainer(model, F.softmax_cross_entropy, optimizers.SGD().setup(model), train_loader, verbose=False).fit(1)
    assert capsys.readouterr().out == ""


def test_trainer_plot_to_a_path(tmp_path) -> None:
    train_loader, _ = _digits_loaders()
    model = MLP((16, 10))
    trainer = Trainer(model, F.softmax_cross_entropy, optimizers.SGD().setup(model), train_loader, verbose=False)
    trainer.fit(2)
    assert trainer.plot(tmp_path / "curves.png") == str(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_trainer_gpu_true_without_a_gpu_is_a_clear_error() -> None:
    from dezero import cuda

    if cuda.gpu_enable:
        pytest.skip("a GPU is usable here: gpu=True trains on it (tests/book/test_gpu.py)")
    train_loader, _ = _digits_loaders()
    model = MLP((16, 10))
    with pytest.raises(RuntimeError, match=r"gpu=True\): no usable GPU here\. .*or pass gpu=False to train on the CPU"):
        Trainer(model, F.softmax_cross_entropy, optimizers.SGD().setup(model), train_loader, gpu=True)
