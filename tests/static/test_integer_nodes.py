"""Integer and boolean functions are graph nodes: argmax, one_hot, the comparisons, accuracy, where's
condition and embed_id's ids trace and replay without a graph break, and stay constants in eager mode."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core import Variable
from dezero_core.layers import LSTM, EmbedID, Linear
from dezero_core.models import MLP, Model
from dezero_core.optimizers import Adam
from dezero_core.static import GraphBreakWarning
from dezero_core.static.symbolic import SymbolValueError

from static_helpers import assert_same_training, batches


def _ops(compiled: dz.static.CompiledFunction) -> list[str]:
    return [node.op for node in compiled.graph.nodes]


# -- eager mode keeps its constants ----------------------------------------------------------------
def test_eager_results_are_constants_without_a_creator_even_from_variables_needing_a_gradient() -> None:
    x = Variable(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]]))
    t = np.array([1, 2])
    for y in (F.argmax(x, axis=1), F.argmin(x), F.greater(x, 1.0), F.equal(x, x), F.accuracy(x, t),
              F.one_hot(t, 3)):
        assert y.requires_grad is False and y.creator is None, y


def test_with_forward_hooks_running_the_results_are_still_constants() -> None:
    from dezero_core.anomaly import detect_anomaly

    x = Variable(np.array([[1.0, 5.0], [7.0, 0.0]]))
    with detect_anomaly():  # a forward hook: the general call path, which records and then unlinks
        y = F.argmax(x, axis=1)
        mask = F.greater(x, 2.0)
    assert y.requires_grad is False and y.creator is None and mask.creator is None
    np.testing.assert_array_equal(y.data, [1, 0])


def test_a_scalar_operand_is_compared_as_it_is_not_cast_to_the_arrays_dtype() -> None:
    labels = np.array([0, 1, 2])
    np.testing.assert_array_equal(F.less(labels, 0.5).data, [True, False, False])
    np.testing.assert_array_equal(F.greater_equal(1.5, labels).data, [True, True, False])


def test_where_takes_a_scalar_branch_in_the_other_branchs_dtype_and_differentiates() -> None:
    x = Variable(np.array([-1.0, 2.0], np.float32))
    y = F.where(F.greater(x, 0.0), x, 0.0)
    assert y.dtype == np.float32
    F.sum(y * y).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 4.0])
    with pytest.raises(TypeError, match="two Python scalars"):
        F.where(F.greater(x, 0.0), 1.0, 0.0)


# -- traced: nodes, no break ---------------------------------------------------------------------
def test_a_compiled_step_computing_accuracy_does_not_break_and_equals_eager() -> None:
    data = batches(4, (8, 5), 3)

    def run(compiled: bool) -> tuple:
        dz.random.seed(0)
        model = MLP((10, 3))
        optimizer = Adam().setup(model)

        def step(x, t):
            model.cleargrads()
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            loss.backward()
            optimizer.update()
            return loss, F.accuracy(y, t)

        fn = dz.compile(step, fullgraph=True) if compiled else step
        results = [fn(x, t) for x, t in data]
        accuracies = [float(a.data) for _, a in results]
        return ([float(loss.data) for loss, _ in results], model, optimizer), accuracies, fn

    eager, eager_acc, _ = run(False)
    compiled, compiled_acc, fn = run(True)
    assert_same_training(eager, compiled)
    assert compiled_acc == eager_acc
    assert "Accuracy" in _ops(fn)


def test_argmax_one_hot_and_a_mask_replay_on_new_values() -> None:
    @dz.compile(fullgraph=True)
    def f(x, t):
        mask = F.greater_equal(x, 0.0)
        return F.argmax(x, axis=1), F.one_hot(t, 4), F.where(mask, x, x * 0.5), F.not_equal(t, 2)

    rng = np.random.default_rng(0)
    for _ in range(3):  # the trace, then replays on other values
        x = rng.standard_normal((5, 3)).astype(np.float32)
        t = rng.integers(0, 4, 5)
        got = f(x, t)
        np.testing.assert_array_equal(got[0].data, np.argmax(x, axis=1))
        np.testing.assert_array_equal(got[1].data, np.eye(4, dtype=np.float32)[t])
        np.testing.assert_array_equal(got[2].data, np.where(x >= 0, x, x * np.float32(0.5)))
        np.testing.assert_array_equal(got[3].data, t != 2)
    assert {"ArgMax", "OneHot", "GreaterEqual", "Where", "NotEqual"} <= set(_ops(f))


def test_one_hot_checks_the_labels_at_every_replay() -> None:
    f = dz.compile(lambda t: F.one_hot(t, 3), fullgraph=True)
    f(np.array([0, 2]))
    with pytest.raises(ValueError, match=r"one_hot: label 3 .* out of range for 3 classes"):
        f(np.array([0, 3]))


def test_one_hot_without_num_classes_on_a_symbol_asks_for_it() -> None:
    t = dz.symbol("t", shape=(4,), dtype="int64")
    with pytest.raises(SymbolValueError, match="one_hot: num_classes=None .* pass num_classes"):
        F.one_hot(t)
    f = dz.compile(lambda t: F.one_hot(t))  # traced: a graph break, and the call runs eagerly
    with pytest.warns(GraphBreakWarning, match="pass num_classes"):
        y = f(np.array([0, 2]))
    np.testing.assert_array_equal(y.data, np.eye(3, dtype=np.float32)[[0, 2]])


def test_symbolic_graph_of_comparisons_and_argmax_differentiates_through_where_only() -> None:
    x = dz.symbol("x", shape=(2, 3), dtype="float32")
    y = F.where(F.less(x, 0.0), -x, x)  # |x| through a mask
    gx = dz.grad(F.sum(y * y), x)
    f = dz.compile([y, F.argmin(y, axis=1), gx])
    a = np.array([[1.0, -2.0, 3.0], [-4.0, 0.5, -0.25]], np.float32)
    out, idx, g = f(x=a)
    np.testing.assert_array_equal(out.data, np.abs(a))
    np.testing.assert_array_equal(idx.data, [0, 2])
    np.testing.assert_allclose(g.data, 2 * a)


# -- embed_id with the ids as a graph input --------------------------------------------------------
def test_embed_id_ids_are_a_graph_input_and_their_range_is_checked_at_replay() -> None:
    embed = EmbedID(6, 3)
    f = dz.compile(embed, fullgraph=True)
    for ids in (np.array([[0, 5], [2, 2]]), np.array([[1, 1], [4, 3]])):
        np.testing.assert_array_equal(f(ids).data, embed.W.data[ids])
    assert _ops(f) == ["EmbedID"]
    with pytest.raises(ValueError, match=r"embed_id: ids must lie in \[0, 5\] for W of shape \(6, 3\), got ids "
                                         r"from 0 to 6"):
        f(np.array([[0, 6], [1, 1]]))


def test_indexing_by_a_traced_index_array_is_a_node_of_the_index_and_trains_as_eager() -> None:
    def run(compiled: bool) -> list:
        W = Variable(np.arange(12.0, dtype=np.float32).reshape(4, 3))

        def step(ids):
            W.cleargrad()
            y = W[ids]  # numpy's indexing: negative ids count from the end
            F.sum(y * y).backward()
            return y

        fn = dz.compile(step, fullgraph=True) if compiled else step
        results = []
        for ids in (np.array([[0, 3], [3, 3]]), np.array([[1, -1], [2, 0]])):
            results += [fn(ids).data, W.grad.data.copy()]
        return results, fn

    (eager, _), (compiled, fn) = run(False), run(True)
    for got, want in zip(compiled, eager):
        np.testing.assert_array_equal(got, want)
    assert "Take" in _ops(fn) and "backward:Take" in _ops(fn)
    with pytest.raises(TypeError, match="get_item: an index given as a symbol must hold integers"):
        Variable(np.ones(3))[dz.symbol("i", shape=(2,), dtype="float32")]


class LanguageModel(Model):
    """Token ids (N, T) -> EmbedID -> LSTM -> Linear: next-token scores at every step."""

    def __init__(self, vocabulary: int = 11, dim: int = 6, hidden: int = 8) -> None:
        super().__init__()
        self.embed = EmbedID(vocabulary, dim)
        self.lstm = LSTM(hidden, in_size=dim)
        self.out = Linear(vocabulary, in_size=hidden)

    def forward(self, ids):
        x = self.embed(ids)
        scores = [self.out(self.lstm(x[:, t])) for t in range(x.shape[1])]
        self.lstm.reset_state()  # the state of one sequence stays inside the call
        return scores


def _train_language_model(compiled: bool, steps: int = 4) -> tuple:
    dz.random.seed(1)
    model = LanguageModel()
    optimizer = Adam(0.01).setup(model)
    rng = np.random.default_rng(2)
    data = [rng.integers(0, 11, (3, 6)) for _ in range(steps)]

    def step(ids):
        model.cleargrads()
        scores = model(ids[:, :-1])
        loss = F.softmax_cross_entropy(scores[0], ids[:, 1])
        for t, y in enumerate(scores[1:], start=2):
            loss = loss + F.softmax_cross_entropy(y, ids[:, t])
        loss.backward()
        optimizer.update()
        return loss

    fn = dz.compile(step, fullgraph=True) if compiled else step
    with warnings.catch_warnings():
        warnings.simplefilter("error", GraphBreakWarning)
        losses = [float(fn(ids).data) for ids in data]
    return (losses, model, optimizer), fn


def test_compiled_embedding_lstm_language_model_trains_as_eager_through_adam_steps() -> None:
    eager, _ = _train_language_model(compiled=False)
    compiled, fn = _train_language_model(compiled=True)
    # within float32 rounding: batch_shared_weights sums the steps' weight gradients in one product
    assert_same_training(eager, compiled, exact=False)
    assert eager[0][-1] < eager[0][0]  # it learns: the steps are not a no-op on both sides
    ops = _ops(fn)
    assert "EmbedID" in ops and "backward:EmbedID" in ops



def test_a_graph_of_integer_nodes_saves_and_loads(tmp_path) -> None:
    embed = EmbedID(7, 4)

    def f(ids, x, t):
        e = embed(ids)
        return (F.where(F.less(0.5, x), x, -x), F.argmax(e, axis=2, keepdims=True),
                F.one_hot(t, 3, dtype=np.int64),  # a dtype object: the graph saves its name
                F.accuracy(x, t, ignore_index=2), F.not_equal(t, 1))

    ids, x, t = np.array([[1, 6], [0, 0]]), np.array([[0.2, 0.9, 0.4], [0.7, 0.1, 0.3]], np.float32), np.array([1, 2])
    compiled = dz.compile(f, fullgraph=True)
    want = compiled(ids, x, t)
    path = tmp_path / "integer_nodes.dzg"
    compiled.save(path)
    loaded = dz.static.load_compiled(path)
    for got, expected in zip(loaded(ids, x, t), want):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.data, expected.data)
