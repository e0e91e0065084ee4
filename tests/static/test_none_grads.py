"""A gradient that is None when a compiled step runs stays None, as in eager mode (issue 10): the layers
before a dz.cond operand the branch taken ignores, or before a dz.while_loop value whose result gets
no gradient in a run of no iteration, keep no gradient, so Adam and MomentumSGD leave them alone."""
from __future__ import annotations

import json

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.backend.selection import get_backend
from dezero_core.layers import Layer, Linear
from dezero_core.optimizers import Adam, MomentumSGD
from dezero_core.static.autodiff import AddGrads, may_be_none
from dezero_core.static.executor import Executor
from dezero_core.static.save import graph_from_json, graph_to_json

from static_helpers import assert_same_training

OPTIMIZERS = {"MomentumSGD": lambda: MomentumSGD(0.05), "Adam": lambda: Adam(0.01)}


class IgnoredOperand(Layer):
    """``a`` on the first operand where the batch sums above 0, else ``b`` on the second; each operand
    comes out of layers and elementwise functions, so a skipped gradient has several backward nodes to
    skip (which the default passes would fuse)."""

    def __init__(self) -> None:
        super().__init__()
        self.c1, self.c2 = Linear(3, in_size=2), Linear(3, in_size=3)
        self.d = Linear(3, in_size=2)
        self.a, self.b = Linear(3, in_size=3), Linear(3, in_size=3)

    def forward(self, x):
        h = self.c2(F.exp(F.tanh(self.c1(x)) * 0.5))  # elementwise runs: fuse_elementwise's to leave alone
        z = F.sin(F.tanh(self.d(x)) * 2.0)
        y = dz.cond(F.sum(x) > 0, lambda h, z: self.a(h), lambda h, z: self.b(F.tanh(z)), h, z)
        return F.sum(y ** 2)


class IdleLoopValue(Layer):
    """``(h, z) -> (h + tanh(cell(z))**2 + 1/2, z)`` from ``(x, lz(x))`` while ``h`` sums below 3, the loss
    reading ``h`` (and ``lh(x)``): in a run of no iteration no gradient reaches ``z``, so ``lz`` (which
    made it) gets none."""

    def __init__(self) -> None:
        super().__init__()
        self.lh, self.lz = Linear(2, in_size=2), Linear(2, in_size=2)
        self.cell = Linear(2, in_size=2)

    def forward(self, x):
        h, _ = dz.while_loop(lambda h, z: F.sum(h) < 3.0, lambda h, z: (h + F.tanh(self.cell(z)) ** 2 + 0.5, z),
                             (x, self.lz(x)))
        return F.sum(h ** 2) + F.sum(self.lh(x) ** 2)


def cond_batches(signs: str) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [(1.0 if sign == "+" else -1.0) * np.abs(rng.standard_normal((4, 2))).astype(np.float32)
            for sign in signs]


def loop_batches(levels: str) -> list[np.ndarray]:
    """``l``: a batch the loop iterates on; ``h``: one summing above 3 (no iteration)."""
    values = {"l": [0.1, -0.2, 0.3, 0.05], "h": [2.0, 2.5, 1.8, 3.0]}
    seen = {"l": 0, "h": 0}
    out = []
    for level in levels:
        out.append(np.full((1, 2), values[level][seen[level]], np.float32))
        seen[level] += 1
    return out


def train(make_model, optimizer_name: str, in_backward: bool, data: list, compiled: bool) -> tuple:
    """(losses, model, optimizer) of plain steps over ``data``, eagerly or compiled."""
    dz.random.seed(0)
    model = make_model()
    optimizer = OPTIMIZERS[optimizer_name]().setup(model)
    optimizer.update_in_backward = in_backward

    def step(x):
        model.cleargrads()
        loss = model(x)
        loss.backward()
        optimizer.update()
        return loss

    run = dz.compile(step, fullgraph=True) if compiled else step
    return [float(run(x).data) for x in data], model, optimizer


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("signs", ["+-+--+", "-+-++-"], ids=["traced_true", "traced_false"])
def test_layers_before_an_ignored_cond_operand_stay_put_as_in_eager(signs, optimizer_name, in_backward) -> None:
    data = cond_batches(signs)
    assert_same_training(train(IgnoredOperand, optimizer_name, in_backward, data, compiled=False),
                         train(IgnoredOperand, optimizer_name, in_backward, data, compiled=True))


@pytest.mark.parametrize("in_backward", [True, False], ids=["update_in_backward", "update_at_end"])
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("levels", ["lhlhl", "hlhll"], ids=["traced_iterating", "traced_idle"])
def test_a_loop_value_without_gradient_in_a_run_of_no_iteration_stays_put_as_in_eager(
        levels, optimizer_name, in_backward) -> None:
    data = loop_batches(levels)
    assert_same_training(train(IdleLoopValue, optimizer_name, in_backward, data, compiled=False),
                         train(IdleLoopValue, optimizer_name, in_backward, data, compiled=True))


@pytest.mark.parametrize("signs", ["+-", "-+"], ids=["traced_true", "traced_false"])
def test_the_layers_before_the_ignored_operand_keep_no_gradient(signs) -> None:
    dz.random.seed(0)
    model = IgnoredOperand()

    def step(x):
        model.cleargrads()
        model(x).backward()

    run = dz.compile(step, fullgraph=True)
    for x in cond_batches(signs):
        run(x)
        taken_true = float(x.sum()) > 0
        for layer, used in [(model.c1, taken_true), (model.c2, taken_true), (model.d, not taken_true)]:
            assert (layer.W.grad is not None) == used, (signs, layer)
            assert (layer.b.grad is not None) == used, (signs, layer)


def _replay_source(graph) -> str:
    return Executor(graph, get_backend()).source


def test_only_graphs_with_control_flow_check_for_a_none_gradient() -> None:
    plain = Linear(3, in_size=2)

    def step(x):
        plain.cleargrads()
        F.sum(F.tanh(plain(x)) ** 2).backward()

    compiled = dz.compile(step)
    compiled(cond_batches("+")[0])
    assert "is None:" not in _replay_source(compiled.graph)

    model = IgnoredOperand()

    def cond_step(x):
        model.cleargrads()
        model(x).backward()

    compiled = dz.compile(cond_step)
    compiled(cond_batches("+")[0])
    assert "is None:" in _replay_source(compiled.graph)


@pytest.mark.parametrize("make_model", [IgnoredOperand, IdleLoopValue])
def test_after_the_default_passes_only_nodes_that_check_read_a_gradient_that_may_be_none(make_model) -> None:
    model = make_model()

    def step(x):
        model.cleargrads()
        model(x).backward()

    compiled = dz.compile(step)
    compiled(cond_batches("+")[0][:1] if make_model is IdleLoopValue else cond_batches("+")[0])
    checked = 0
    for node in compiled.graph.nodes:
        if any(may_be_none(v) for v in node.inputs):
            checked += 1
            # a skipped backward node, a sum that takes None as no gradient, a grad set to None
            assert (node.kind == "backward" and node.attrs.get("skip_if_none")) or node.kind == "set_grad" or \
                type(node.fn) is AddGrads, node
    assert checked > 0


def test_a_symbol_comparison_is_the_comparison_functions_op() -> None:
    compiled = dz.compile(lambda x, y: (F.where(x > y, x, y), x <= 0.5, 1.0 != x))
    x, y = np.array([1.0, -1.0, 0.5], np.float32), np.zeros(3, np.float32)
    outs = compiled(x, y)
    np.testing.assert_array_equal(outs[0].data, np.where(x > y, x, y))
    np.testing.assert_array_equal(outs[1].data, x <= 0.5)
    np.testing.assert_array_equal(outs[2].data, x != 1.0)
    assert [n.op for n in compiled.graph.nodes if n.op in ("Greater", "LessEqual", "NotEqual")] == \
        ["Greater", "LessEqual", "NotEqual"]


def test_a_graph_saved_with_the_former_compare_op_loads_and_runs() -> None:
    compiled = dz.compile(lambda x, y: F.where(x > y, x, y))
    x, y = np.array([1.0, -1.0, 0.5], np.float32), np.array([0.0, 0.0, 2.0], np.float32)
    compiled(x, y)
    description, arrays = graph_to_json(compiled.graph)
    # as a file of that time names it: an op of its own, the comparison an attribute of the node
    entry = next(f for f in description["functions"] if f["target"].endswith(":Greater"))
    entry.update(target="dezero_core.static.control:Compare", attrs={"dict": {"op": "greater"}})
    graph = graph_from_json(json.loads(json.dumps(description)), arrays)
    assert [n.op for n in graph.nodes][0] == "Compare"
    (out,) = Executor(graph, get_backend()).run([x, y])
    np.testing.assert_array_equal(out, np.where(x > y, x, y))
