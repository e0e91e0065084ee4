"""The book's API surface: names, signatures and the semantics its code relies on."""
from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable

SUBMODULES = ("datasets", "dataloaders", "optimizers", "functions", "functions_conv", "layers", "models",
              "utils", "cuda", "transforms")

#: every function of the book's dezero.functions, with the book's parameters and defaults
BOOK_FUNCTIONS = {
    "sin": "(x)", "cos": "(x)", "tanh": "(x)", "exp": "(x)", "log": "(x)",
    "reshape": "(x, shape)", "transpose": "(x, axes=None)", "get_item": "(x, slices)",
    "expand_dims": "(x, axis)", "flatten": "(x)",
    "sum": "(x, axis=None, keepdims=False)", "sum_to": "(x, shape)", "broadcast_to": "(x, shape)",
    "average": "(x, axis=None, keepdims=False)", "mean": "(x, axis=None, keepdims=False)",
    "matmul": "(x, W)", "linear": "(x, W, b=None)", "linear_simple": "(x, W, b=None)",
    "sigmoid_simple": "(x)", "sigmoid": "(x)", "relu": "(x)",
    "softmax_simple": "(x, axis=1)", "softmax": "(x, axis=1)", "log_softmax": "(x, axis=1)",
    "leaky_relu": "(x, slope=0.2)",
    "mean_squared_error_simple": "(x0, x1)", "mean_squared_error": "(x0, x1)",
    "softmax_cross_entropy_simple": "(x, t)", "softmax_cross_entropy": "(x, t)",
    "sigmoid_cross_entropy": "(x, t)", "binary_cross_entropy": "(p, t)", "accuracy": "(y, t)",
    "dropout": "(x, dropout_ratio=0.5)",
    "batch_nrom": "(x, gamma, beta, mean, var, decay=0.9, eps=2e-05)", "embed_id": "(x, W)",
    "max": "(x, axis=None, keepdims=False)", "min": "(x, axis=None, keepdims=False)",
    "clip": "(x, x_min, x_max)",
    "conv2d": "(x, W, b=None, stride=1, pad=0)", "deconv2d": "(x, W, b=None, stride=1, pad=0, outsize=None)",
    "conv2d_simple": "(x, W, b=None, stride=1, pad=0)",
    "im2col": "(x, kernel_size, stride=1, pad=0, to_matrix=True)",
    "col2im": "(x, input_shape, kernel_size, stride=1, pad=0, to_matrix=True)",
    "pooling": "(x, kernel_size, stride=1, pad=0)", "pooling_simple": "(x, kernel_size, stride=1, pad=0)",
    "average_pooling": "(x, kernel_size, stride=1, pad=0)",
    "add": "(x0, x1)", "sub": "(x0, x1)", "rsub": "(x0, x1)", "mul": "(x0, x1)", "div": "(x0, x1)",
    "neg": "(x)", "pow": "(x, c)",
}

BOOK_UTILS = {
    "gradient_check": "(f, x, *args, rtol=0.0001, atol=1e-05, **kwargs)",
    "numerical_grad": "(f, x, *args, **kwargs)", "array_equal": "(a, b)",
    "array_allclose": "(a, b, rtol=0.0001, atol=1e-05)", "sum_to": "(x, shape)", "logsumexp": "(x, axis=1)",
    "get_conv_outsize": "(input_size, kernel_size, stride, pad)", "get_deconv_outsize": "(size, k, s, p)",
    "pair": "(x)", "get_file": "(url, file_name=None)", "get_dot_graph": "(output, verbose=True)",
    "plot_dot_graph": "(output, verbose=True, to_file='graph.png')",
}


def _parameters(text: str) -> list[inspect.Parameter]:
    namespace: dict = {}
    exec(f"def f{text}: pass", namespace)
    return list(inspect.signature(namespace["f"]).parameters.values())


def _incompatibilities(fn: object, book: str, check_names: bool) -> list[str]:
    """How ``fn`` fails to accept every call the book's signature ``book`` accepts (empty: none)."""
    ours = list(inspect.signature(fn).parameters.values())
    problems = []
    for i, want in enumerate(_parameters(book)):
        if i >= len(ours):
            problems.append(f"missing {want.name}")
            continue
        got = ours[i]
        if got.kind != want.kind:
            problems.append(f"{want.name} is {got.kind.description}, the book's is {want.kind.description}")
        if check_names and got.name != want.name:
            problems.append(f"parameter {i} is {got.name}, the book's is {want.name}")
        if want.default is not inspect.Parameter.empty and got.default != want.default:
            problems.append(f"{want.name} defaults to {got.default!r}, the book's to {want.default!r}")
    for extra in ours[len(_parameters(book)):]:
        if extra.default is inspect.Parameter.empty and extra.kind not in (extra.VAR_POSITIONAL, extra.VAR_KEYWORD):
            problems.append(f"extra parameter {extra.name} without a default")
    return problems


def test_import_dezero_makes_every_submodule_an_attribute() -> None:
    code = "import dezero; print(all(hasattr(dezero, m) for m in %r))" % (SUBMODULES,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


@pytest.mark.parametrize("name", ["Variable", "Parameter", "Function", "using_config", "no_grad", "test_mode",
                                  "as_array", "as_variable", "setup_variable", "Config", "Layer", "Model",
                                  "Dataset", "DataLoader", "SeqDataLoader"])
def test_top_level_name_exists(name: str) -> None:
    assert getattr(dezero, name) is not None


def test_variable_and_parameter_are_dezero_cores() -> None:
    import dezero_core

    assert dezero.Variable is dezero_core.Variable
    assert dezero.Parameter is dezero_core.Parameter


@pytest.mark.parametrize("name,book", sorted(BOOK_FUNCTIONS.items()))
def test_function_has_the_books_signature(name: str, book: str) -> None:
    assert _incompatibilities(getattr(F, name), book, check_names=True) == []


@pytest.mark.parametrize("name,book", sorted(BOOK_UTILS.items()))
def test_util_accepts_the_books_calls(name: str, book: str) -> None:
    assert _incompatibilities(getattr(dezero.utils, name), book, check_names=False) == []


@pytest.mark.parametrize("name", ["Sin", "Cos", "Tanh", "Exp", "Log", "Reshape", "Transpose", "GetItem",
                                  "GetItemGrad", "Sum", "SumTo", "BroadcastTo", "MatMul", "Sigmoid", "ReLU",
                                  "Softmax", "LogSoftmax", "LeakyReLU", "MeanSquaredError", "SoftmaxCrossEntropy",
                                  "Max", "Min", "Clip", "Linear", "BatchNorm"])
def test_functions_module_has_the_books_function_class(name: str) -> None:
    assert issubclass(getattr(F, name), dezero.Function)


def test_functions_module_finds_registered_names_beyond_the_book() -> None:
    x = Variable(np.array([-1.0, 2.0]))
    np.testing.assert_allclose(F.gelu(x).data, [-0.15865525, 1.95449974], rtol=1e-6)


@pytest.mark.parametrize("module,names", [
    ("layers", ["Layer", "Linear", "Conv2d", "Deconv2d", "RNN", "LSTM", "EmbedID", "BatchNorm"]),
    ("models", ["Model", "Sequential", "MLP", "VGG16", "ResNet", "ResNet50", "ResNet101", "ResNet152"]),
    ("optimizers", ["Optimizer", "SGD", "MomentumSGD", "AdaGrad", "AdaDelta", "Adam", "WeightDecay", "ClipGrad",
                    "FreezeParam"]),
    ("datasets", ["Dataset", "Spiral", "MNIST", "CIFAR10", "CIFAR100", "SinCurve", "Shakespear", "get_spiral",
                  "ImageNet", "BigData", "load_cache_npz", "save_cache_npz"]),
    ("dataloaders", ["DataLoader", "SeqDataLoader"]),
    ("transforms", ["Compose", "Normalize", "Flatten", "AsType", "ToFloat", "ToInt", "RandomHorizontalFlip"]),
    ("utils", ["cache_dir", "reshape_sum_backward", "max_backward_shape", "show_progress"]),
    ("core", ["Add", "Mul", "Neg", "Sub", "Div", "Pow", "array_types"]),
    ("core_simple", ["Variable", "Function", "using_config", "no_grad", "as_array", "as_variable", "setup_variable",
                     "Config", "Add", "add", "rsub", "rdiv", "pow"]),
    ("functions_conv", ["Conv2d", "Deconv2d", "Conv2DGradW", "Im2col", "Col2im", "Pooling", "AveragePooling"]),
    ("cuda", ["gpu_enable", "get_array_module", "as_numpy", "as_cupy"]),
])
def test_module_has_the_books_names(module: str, names: list[str]) -> None:
    mod = getattr(dezero, module)
    assert [n for n in names if not hasattr(mod, n)] == []


def test_is_simple_core_is_false() -> None:
    assert dezero.is_simple_core is False


def test_array_types_are_the_array_classes() -> None:
    assert np.ndarray in dezero.core.array_types
    assert isinstance(np.ones(2), dezero.core.array_types)


@pytest.mark.parametrize("cls,fn", [("Add", "add"), ("Mul", "mul"), ("Sub", "sub"), ("Div", "div")])
def test_arithmetic_classes_are_the_creators_of_the_operators(cls: str, fn: str) -> None:
    y = getattr(dezero.core, fn)(Variable(np.array(6.0)), Variable(np.array(2.0)))
    assert isinstance(y.creator, getattr(dezero.core, cls)) and isinstance(y.creator, dezero.Function)


def test_show_progress_prints_the_books_bar(capsys) -> None:
    dezero.utils.show_progress(3, 100, 1000)
    assert capsys.readouterr().out == "\r[#########.....................] 30.00%"
    dezero.utils.show_progress(20, 100, 1000)  # past the end: full
    assert capsys.readouterr().out == "\r[##############################] 100.00%"


def test_random_horizontal_flip_mirrors_with_probability_p() -> None:
    from dezero.transforms import RandomHorizontalFlip

    image = np.arange(6).reshape(1, 2, 3)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(image), image[:, :, ::-1])
    assert RandomHorizontalFlip(p=0.0)(image) is image
    np.random.seed(0)  # rand() = 0.5488...
    assert RandomHorizontalFlip(p=0.5)(image) is image
    np.random.seed(0)
    assert RandomHorizontalFlip(p=0.6)(image).tolist() == [[[2, 1, 0], [5, 4, 3]]]


# -- semantics the book's code relies on -----------------------------------------------------------
def test_variable_of_a_python_float_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="float"):
        Variable(3.0)


def test_reductions_give_zero_dimensional_arrays() -> None:
    x = Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    for y in (F.sum(x), F.mean(x), F.max(x), F.min(x), F.mean_squared_error(x, x * 2)):
        assert isinstance(y.data, np.ndarray) and y.data.shape == ()


def test_ndarray_plus_variable_is_a_variable() -> None:
    y = np.array([1.0, 2.0]) + Variable(np.array([3.0, 4.0]))
    assert isinstance(y, Variable)
    np.testing.assert_array_equal(y.data, [4.0, 6.0])


def test_float32_stays_float32_through_scalars_and_gradients() -> None:
    x = Variable(np.array([1.0, 2.0], dtype=np.float32))
    y = F.sum(2.0 * F.exp(x) / 3 + 1 - x ** 2)
    y.backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32


def test_config_reads_and_sets_the_flags() -> None:
    assert dezero.Config.enable_backprop is True
    with dezero.no_grad():
        assert dezero.Config.enable_backprop is False
        y = F.exp(Variable(np.array(1.0)))
    assert y.creator is None
    with dezero.test_mode():
        assert dezero.Config.train is False
    assert dezero.Config.train is True


def test_setting_config_attribute_turns_backprop_off() -> None:
    dezero.Config.enable_backprop = False
    try:
        assert F.exp(Variable(np.array(1.0))).creator is None
    finally:
        dezero.Config.enable_backprop = True
    assert F.exp(Variable(np.array(1.0))).creator is not None


def test_as_array_wraps_scalars_only() -> None:
    assert isinstance(dezero.as_array(2.0), np.ndarray)
    a = np.ones(2)
    assert dezero.as_array(a) is a


def test_new_arrays_are_created_on_numpy() -> None:
    assert dezero_core_backend_name() == "numpy"


def dezero_core_backend_name() -> str:
    from dezero_core import get_backend

    return get_backend().name


# -- cuda without a GPU ----------------------------------------------------------------------------
@pytest.mark.skipif(dezero.cuda.gpu_enable, reason="this machine has a usable GPU")
def test_cuda_without_a_gpu_says_how_to_install_one() -> None:
    assert dezero.cuda.get_array_module(Variable(np.ones(2))) is np
    with pytest.raises(RuntimeError, match="pip install 'dezero-cupy"):
        dezero.cuda.as_cupy(np.ones(2))


def test_as_numpy_of_a_variable_and_a_scalar() -> None:
    a = np.ones(3)
    assert dezero.cuda.as_numpy(Variable(a)) is a
    assert isinstance(dezero.cuda.as_numpy(1.5), np.ndarray)


# -- graphs ----------------------------------------------------------------------------------------
def test_get_dot_graph_returns_dot_text() -> None:
    x = Variable(np.array(1.0), name="x")
    y = F.tanh(x)
    text = dezero.utils.get_dot_graph(y, verbose=False)
    assert text.startswith("digraph g {") and text.rstrip().endswith("}")
    assert 'label="Tanh"' in text and 'label="x"' in text


def test_plot_dot_graph_without_dot_warns_how_to_install_graphviz_and_goes_on(tmp_path, monkeypatch) -> None:
    # the book's scripts draw a graph, then train: a missing `dot` must not stop them
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on PATH
    y = F.sin(Variable(np.array(1.0)))
    with pytest.warns(RuntimeWarning, match="apt-get install graphviz"):
        assert dezero.utils.plot_dot_graph(y, to_file=str(tmp_path / "graph.png")) is None
    assert not (tmp_path / "graph.png").exists()


def test_core_plot_dot_graph_without_dot_still_raises(tmp_path, monkeypatch) -> None:
    from dezero_core.graphviz import plot_dot_graph

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        plot_dot_graph(F.sin(Variable(np.array(1.0))), to_file=str(tmp_path / "graph.png"))


def test_plot_dot_graph_to_a_dot_file_writes_the_text(tmp_path) -> None:
    y = F.sin(Variable(np.array(1.0)))
    path = dezero.utils.plot_dot_graph(y, to_file=str(tmp_path / "graph.dot"))
    assert (tmp_path / "graph.dot").read_text() == dezero.utils.get_dot_graph(y)
    assert path == str(tmp_path / "graph.dot")


def test_variable_methods_that_the_books_setup_variable_adds() -> None:
    x = Variable(np.array([[1.0, 5.0], [3.0, 2.0]]))
    W = np.eye(2) * 2
    np.testing.assert_array_equal(x.dot(W).data, x.data @ W)
    np.testing.assert_array_equal(x.matmul(W).data, x.data @ W)
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 3.0])
    assert float(x.min().data) == 1.0


# -- downloads -------------------------------------------------------------------------------------
def test_get_file_downloads_once_into_the_cache(tmp_path, monkeypatch) -> None:
    source = tmp_path / "source" / "zebra.txt"
    source.parent.mkdir()
    source.write_text("stripes")
    monkeypatch.setattr(dezero.utils, "cache_dir", str(tmp_path / "cache"))
    path = dezero.utils.get_file(source.as_uri())
    assert path == str(tmp_path / "cache" / "zebra.txt")
    source.unlink()  # a second call uses the cached copy
    assert open(dezero.utils.get_file(source.as_uri())).read() == "stripes"


def test_imagenet_labels_from_the_cached_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dezero.utils, "cache_dir", str(tmp_path))
    (tmp_path / "imagenet1000_clsidx_to_labels.txt").write_text("{0: 'tench, Tinca tinca',\n 1: 'goldfish'}")
    assert dezero.datasets.ImageNet.labels() == {0: "tench, Tinca tinca", 1: "goldfish"}


# -- the book's losses -----------------------------------------------------------------------------
def test_mean_squared_error_sums_features_and_averages_the_batch() -> None:
    x0, x1 = np.random.randn(4, 3), np.random.randn(4, 3)
    assert float(F.mean_squared_error(x0, x1).data) == pytest.approx(np.sum((x0 - x1) ** 2) / 4, rel=1e-12)


def test_mean_squared_error_broadcasts_as_the_books() -> None:
    y = Variable(np.array([[0.5]]))
    loss = F.mean_squared_error(y, np.array([2.0]))  # step 59: (1, 1) against (1,)
    loss.backward()
    assert float(loss.data) == 2.25 and float(y.grad.data[0, 0]) == -3.0


def test_sigmoid_cross_entropy_reshapes_targets_and_averages_the_batch() -> None:
    x = np.random.randn(4, 2)
    t = np.array([[0, 1], [1, 1], [0, 0], [1, 0]])
    p = 1 / (1 + np.exp(-x))
    expected = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / 4
    assert float(F.sigmoid_cross_entropy(x, t).data) == pytest.approx(expected, rel=1e-10)
    x1 = np.random.randn(5)
    assert F.sigmoid_cross_entropy(x1, np.array([[0], [1], [1], [0], [1]])).shape == ()


def test_binary_cross_entropy_averages_the_batch() -> None:
    p = np.array([[0.2, 0.7], [0.9, 0.4]])
    t = np.array([[0, 1], [1, 1]])
    expected = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / 2
    assert float(F.binary_cross_entropy(p, t).data) == pytest.approx(expected, rel=1e-10)


def test_softmax_cross_entropy_takes_labels_as_a_column() -> None:
    x = np.random.randn(3, 4)
    t = np.array([1, 0, 3])
    assert float(F.softmax_cross_entropy(x, t[:, None]).data) == float(F.softmax_cross_entropy(x, t).data)


def test_the_books_function_classes_take_the_books_default_arguments():
    import dezero.functions as F

    x = dezero.Variable(np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], dtype=np.float32))
    t = np.array([2, 0])
    assert F.Transpose()(x).shape == (3, 2)
    e = np.exp(x.data - x.data.max(axis=1, keepdims=True))
    np.testing.assert_allclose(F.Softmax()(x).data, e / e.sum(axis=1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(F.LogSoftmax()(x).data, np.log(e / e.sum(axis=1, keepdims=True)), rtol=1e-5)
    assert float(F.Max()(x).data) == 4.0 and float(F.Min()(x).data) == -1.0
    p = e / e.sum(axis=1, keepdims=True)
    expected = -(np.log(p[0, 2]) + np.log(p[1, 0])) / 2
    np.testing.assert_allclose(F.SoftmaxCrossEntropy()(x, t).data, expected, rtol=1e-6)


def test_set_creator_links_a_variable_one_generation_after_its_function():
    x = Variable(np.array(2.0))
    y = F.square(x) if hasattr(F, "square") else x * x
    z = Variable(np.array(0.0))
    z.set_creator(y.creator)
    assert z.creator is y.creator
    assert z.generation == y.creator.generation + 1 == y.generation
